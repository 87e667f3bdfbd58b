/* DtlsGoBackend: the GTlsBackend GIO asks for types and the default database. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-backend.h"

#include "dtlsgo-certificate.h"
#include "dtlsgo-client-connection.h"
#include "dtlsgo-database.h"
#include "dtlsgo-file-database.h"
#include "dtlsgo-server-connection.h"

struct _DtlsGoBackend
{
  GObject parent_instance;
};

static void dtls_go_backend_iface_init (GTlsBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DtlsGoBackend, dtls_go_backend, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_TLS_BACKEND,
                                                      dtls_go_backend_iface_init))

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
