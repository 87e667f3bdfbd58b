/* DtlsGoBackend: the GTlsBackend GIO asks for types and the default database. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-backend.h"

#include "dtlsgo-certificate.h"
#include "dtlsgo-client-connection.h"
#include "dtlsgo-database.h"
#include "dtlsgo-file-database.h"
#include "dtlsgo-server-connection.h"
#include "dtlsgo-copies.h"

struct _DtlsGoBackend
{
  GObject parent_instance;
};

static void dtls_go_backend_iface_init (GTlsBackendInterface *iface);

/* This copy's own type; the public dtls_go_backend_get_type() answers with the
 * first copy's in a later copy (dtlsgo-copies.h). */
#define dtls_go_backend_get_type dtls_go_backend_get_type_here
static GType dtls_go_backend_get_type_here (void);
G_DEFINE_FINAL_TYPE_WITH_CODE (DtlsGoBackend, dtls_go_backend, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_TLS_BACKEND,
                                                      dtls_go_backend_iface_init))
#undef dtls_go_backend_get_type
DTLSGO_PUBLIC_GET_TYPE (dtls_go_backend)

static void
dtls_go_backend_init (DtlsGoBackend *self)
{
}

static void
dtls_go_backend_class_init (DtlsGoBackendClass *klass)
{
}

static GTlsDatabase *
dtls_go_backend_get_default_database (GTlsBackend *backend)
{
  return dtlsgo_database_get_system ();
}

static gboolean
dtls_go_backend_supports_tls (GTlsBackend *backend)
{
  return TRUE;
}

static gboolean
dtls_go_backend_supports_dtls (GTlsBackend *backend)
{
  return TRUE;
}

static void
dtls_go_backend_iface_init (GTlsBackendInterface *iface)
{
  iface->supports_tls = dtls_go_backend_supports_tls;
  iface->supports_dtls = dtls_go_backend_supports_dtls;
  iface->get_default_database = dtls_go_backend_get_default_database;
  iface->get_certificate_type = dtls_go_certificate_get_type;
  iface->get_file_database_type = dtls_go_file_database_get_type;
  /* One type per role serves both TLS flavours, as in glib-networking. */
  iface->get_client_connection_type = dtls_go_client_connection_get_type;
  iface->get_server_connection_type = dtls_go_server_connection_get_type;
  iface->get_dtls_client_connection_type = dtls_go_client_connection_get_type;
  iface->get_dtls_server_connection_type = dtls_go_server_connection_get_type;
}

/**
 * dtls_go_is_default_backend:
 *
 * Whether dtlsgo is GIO's default TLS backend in this process, the one
 * g_tls_backend_get_default() returns and GIO's constructors
 * (g_dtls_client_connection_new(), g_tls_certificate_new_from_file()...)
 * use. It is not when another backend (glib-networking) has a higher
 * priority and `GIO_USE_TLS=dtlsgo` was not set: GIO's connections are
 * then that backend's, and DtlsGo methods called on them fail as calls on
 * an object of the wrong type do, without an error of their own.
 *
 * To know whether one connection is dtlsgo's, check its type instead:
 * `isinstance(conn, DtlsGo.Connection)` in Python,
 * `conn instanceof DtlsGo.Connection` in JavaScript,
 * `DTLS_GO_IS_CONNECTION (conn)` in C.
 *
 * Returns: %TRUE when g_tls_backend_get_default() is dtlsgo's backend
 */
gboolean
dtls_go_is_default_backend (void)
{
  DTLSGO_FORWARD (dtls_go_is_default_backend, ());
  return DTLS_GO_IS_BACKEND (g_tls_backend_get_default ());
}

void
dtlsgo_backend_register (void)
{
  /* A program may load the module (g_io_module_new + use) before GIO has
   * registered its extension points; registering an existing point just
   * returns it, so GIO's own registration later finds ours. */
  if (g_io_extension_point_lookup (G_TLS_BACKEND_EXTENSION_POINT_NAME) == NULL)
    {
      GIOExtensionPoint *ep = g_io_extension_point_register (G_TLS_BACKEND_EXTENSION_POINT_NAME);

      g_io_extension_point_set_required_type (ep, G_TYPE_TLS_BACKEND);
    }
  g_io_extension_point_implement (G_TLS_BACKEND_EXTENSION_POINT_NAME,
                                  DTLS_GO_TYPE_BACKEND, "dtlsgo",
                                  DTLSGO_BACKEND_PRIORITY);
}
