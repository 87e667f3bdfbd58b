/* DtlsGoDatabase: a GTlsDatabase over a Go trust store. Every vfunc hands
 * its certificates to Go as handles and wraps what comes back; the
 * asynchronous variants are GLib's (a worker thread each), which the Go
 * store allows. Also the system database, the backend's default. */

#define G_LOG_DOMAIN "dtlsgo"

#include "dtlsgo-database.h"

#include "dtlsgo-certificate.h"
#include "dtlsgo-copies.h"

typedef struct
{
  DtlsGoHandle handle;
} DtlsGoDatabasePrivate;

/* This copy's own type; the public dtls_go_database_get_type() answers with the
 * first copy's in a later copy (dtlsgo-copies.h). */
#define dtls_go_database_get_type dtls_go_database_get_type_here
static GType dtls_go_database_get_type_here (void);
G_DEFINE_TYPE_WITH_PRIVATE (DtlsGoDatabase, dtls_go_database, G_TYPE_TLS_DATABASE)
#undef dtls_go_database_get_type
DTLSGO_PUBLIC_GET_TYPE (dtls_go_database)

static DtlsGoHandle
get_handle (GTlsDatabase *database)
{
  DtlsGoDatabasePrivate *priv = dtls_go_database_get_instance_private (DTLS_GO_DATABASE (database));

  return priv->handle;
}

static GTlsCertificateFlags
dtls_go_database_verify_chain (GTlsDatabase             *database,
                               GTlsCertificate          *chain,
                               const char               *purpose,
                               GSocketConnectable       *identity,
                               GTlsInteraction          *interaction,
                               GTlsDatabaseVerifyFlags   flags,
                               GCancellable             *cancellable,
                               GError                  **error)
{
  g_autofree char *host = dtlsgo_identity_from_connectable (identity);
  GError *local_error = NULL;
  DtlsGoHandle chain_handle;
  GTlsCertificateFlags result;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return G_TLS_CERTIFICATE_GENERIC_ERROR;

  chain_handle = dtlsgo_certificate_handle_for (chain, error);
  if (!chain_handle)
    return G_TLS_CERTIFICATE_GENERIC_ERROR;
  result = dtlsgo_core_database_verify_chain (get_handle (database), chain_handle,
                                              purpose, host, &local_error);
  dtlsgo_core_handle_free (chain_handle);

  if (!local_error)
    g_cancellable_set_error_if_cancelled (cancellable, &local_error);
  if (local_error)
    {
      g_propagate_error (error, local_error);
      return G_TLS_CERTIFICATE_GENERIC_ERROR;
    }
  return result;
}

static char *
dtls_go_database_create_certificate_handle (GTlsDatabase    *database,
                                            GTlsCertificate *certificate)
{
  DtlsGoHandle cert = dtlsgo_certificate_handle_for (certificate, NULL);
  char *handle;

  if (!cert)
    return NULL;
  handle = dtlsgo_core_database_create_certificate_handle (get_handle (database), cert);
  dtlsgo_core_handle_free (cert);
  return handle;
}

static GTlsCertificate *
certificate_or_null (DtlsGoHandle handle)
{
  return handle ? dtlsgo_certificate_new_take_handle (handle) : NULL;
}

static GTlsCertificate *
dtls_go_database_lookup_certificate_for_handle (GTlsDatabase             *database,
                                                const char               *handle,
                                                GTlsInteraction          *interaction,
                                                GTlsDatabaseLookupFlags   flags,
                                                GCancellable             *cancellable,
                                                GError                  **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  return certificate_or_null (dtlsgo_core_database_lookup_certificate_for_handle (get_handle (database),
                                                                                  handle, error));
}

static GTlsCertificate *
dtls_go_database_lookup_certificate_issuer (GTlsDatabase             *database,
                                            GTlsCertificate          *certificate,
                                            GTlsInteraction          *interaction,
                                            GTlsDatabaseLookupFlags   flags,
                                            GCancellable             *cancellable,
                                            GError                  **error)
{
  DtlsGoHandle cert;
  DtlsGoHandle issuer;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  cert = dtlsgo_certificate_handle_for (certificate, error);
  if (!cert)
    return NULL;
  issuer = dtlsgo_core_database_lookup_certificate_issuer (get_handle (database), cert, flags, error);
  dtlsgo_core_handle_free (cert);
  return certificate_or_null (issuer);
}

static GList *
dtls_go_database_lookup_certificates_issued_by (GTlsDatabase             *database,
                                                GByteArray               *issuer_raw_dn,
                                                GTlsInteraction          *interaction,
                                                GTlsDatabaseLookupFlags   flags,
                                                GCancellable             *cancellable,
                                                GError                  **error)
{
  g_autoptr(GBytes) dn = NULL;
  g_autofree DtlsGoHandle *handles = NULL;
  GList *certificates = NULL;
  guint n = 0;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  dn = g_bytes_new (issuer_raw_dn->data, issuer_raw_dn->len);
  handles = dtlsgo_core_database_lookup_certificates_issued_by (get_handle (database), dn, flags,
                                                                &n, error);
  for (guint i = n; i > 0; i--)
    certificates = g_list_prepend (certificates, dtlsgo_certificate_new_take_handle (handles[i - 1]));
  return certificates;
}

static void
dtls_go_database_finalize (GObject *object)
{
  DtlsGoDatabasePrivate *priv = dtls_go_database_get_instance_private (DTLS_GO_DATABASE (object));

  if (priv->handle)
    dtlsgo_core_handle_free (priv->handle);

  G_OBJECT_CLASS (dtls_go_database_parent_class)->finalize (object);
}

static void
dtls_go_database_init (DtlsGoDatabase *self)
{
}

static void
dtls_go_database_class_init (DtlsGoDatabaseClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GTlsDatabaseClass *database_class = G_TLS_DATABASE_CLASS (klass);

  object_class->finalize = dtls_go_database_finalize;
  database_class->verify_chain = dtls_go_database_verify_chain;
  database_class->create_certificate_handle = dtls_go_database_create_certificate_handle;
  database_class->lookup_certificate_for_handle = dtls_go_database_lookup_certificate_for_handle;
  database_class->lookup_certificate_issuer = dtls_go_database_lookup_certificate_issuer;
  database_class->lookup_certificates_issued_by = dtls_go_database_lookup_certificates_issued_by;
}

DtlsGoHandle
dtlsgo_database_get_handle (DtlsGoDatabase *self)
{
  g_return_val_if_fail (DTLS_GO_IS_DATABASE (self), 0);

  return get_handle (G_TLS_DATABASE (self));
}

void
dtlsgo_database_set_handle (DtlsGoDatabase *self,
                            DtlsGoHandle    handle)
{
  DtlsGoDatabasePrivate *priv;

  g_return_if_fail (DTLS_GO_IS_DATABASE (self));
  priv = dtls_go_database_get_instance_private (self);
  g_return_if_fail (priv->handle == 0);

  priv->handle = handle;
}

GTlsDatabase *
dtlsgo_database_get_system (void)
{
  static gsize once;
  static GTlsDatabase *system;

  if (g_once_init_enter (&once))
    {
      DtlsGoDatabase *db = g_object_new (DTLS_GO_TYPE_DATABASE, NULL);

      dtlsgo_database_set_handle (db, dtlsgo_core_database_new_system ());
      system = G_TLS_DATABASE (db);
      g_once_init_leave (&once, 1);
    }
  return g_object_ref (system);
}
