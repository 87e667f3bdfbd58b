/* DtlsGoCertificate: the backend's GTlsCertificate. Construct properties
 * are collected, then handed to Go in one call; the object keeps only the
 * resulting handle (and its issuer object), reading every property back
 * from Go. */

#define G_LOG_DOMAIN "dtlsgo"

#include "dtlsgo-certificate.h"
#include "dtlsgo-copies.h"

/* Deeper issuer chains than this are treated as loops. */
#define MAX_CHAIN_DEPTH 32

enum
{
  PROP_0,
  PROP_CERTIFICATE,
  PROP_CERTIFICATE_PEM,
  PROP_PRIVATE_KEY,
  PROP_PRIVATE_KEY_PEM,
  PROP_ISSUER,
  PROP_PKCS11_URI,
  PROP_PRIVATE_KEY_PKCS11_URI,
  PROP_NOT_VALID_BEFORE,
  PROP_NOT_VALID_AFTER,
  PROP_SUBJECT_NAME,
  PROP_ISSUER_NAME,
  PROP_DNS_NAMES,
  PROP_IP_ADDRESSES,
  PROP_PKCS12_DATA,
  PROP_PASSWORD,
};

struct _DtlsGoCertificate
{
  GTlsCertificate parent_instance;

  DtlsGoHandle handle;
  GTlsCertificate *issuer;
  GError *construct_error;

  /* Construct-time input, dropped once parsed. */
  GBytes *der;
  char *pem;
  GBytes *key_der;
  char *key_pem;
  GBytes *pkcs12_data;
  char *password;
  gboolean pkcs11_requested;
};

static void dtls_go_certificate_initable_iface_init (GInitableIface *iface);

/* This copy's own type; the public dtls_go_certificate_get_type() answers with the
 * first copy's in a later copy (dtlsgo-copies.h). */
#define dtls_go_certificate_get_type dtls_go_certificate_get_type_here
static GType dtls_go_certificate_get_type_here (void);
G_DEFINE_FINAL_TYPE_WITH_CODE (DtlsGoCertificate, dtls_go_certificate, G_TYPE_TLS_CERTIFICATE,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      dtls_go_certificate_initable_iface_init))
#undef dtls_go_certificate_get_type
DTLSGO_PUBLIC_GET_TYPE (dtls_go_certificate)

static GBytes *
bytes_from_byte_array (GByteArray *array)
{
  return array ? g_bytes_new (array->data, array->len) : NULL;
}

static GByteArray *
byte_array_from_bytes (GBytes *bytes)
{
  return bytes ? g_bytes_unref_to_array (bytes) : NULL;
}

static void
take_issuer_chain (DtlsGoCertificate *self)
{
  DtlsGoHandle issuer = dtlsgo_core_certificate_get_issuer (self->handle);

  if (issuer)
    {
      g_clear_object (&self->issuer);
      self->issuer = dtlsgo_certificate_new_take_handle (issuer);
    }
}

static void
clear_input (DtlsGoCertificate *self)
{
  g_clear_pointer (&self->der, g_bytes_unref);
  g_clear_pointer (&self->pem, g_free);
  g_clear_pointer (&self->key_der, g_bytes_unref);
  g_clear_pointer (&self->key_pem, g_free);
  g_clear_pointer (&self->pkcs12_data, g_bytes_unref);
  g_clear_pointer (&self->password, g_free);
}

static void
dtls_go_certificate_constructed (GObject *object)
{
  DtlsGoCertificate *self = DTLS_GO_CERTIFICATE (object);
  gboolean have_cert = self->der || self->pem;

  G_OBJECT_CLASS (dtls_go_certificate_parent_class)->constructed (object);

  if (self->pkcs11_requested)
    {
      g_set_error_literal (&self->construct_error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "The dtlsgo TLS backend does not support PKCS #11");
    }
  else if (self->pkcs12_data && have_cert)
    {
      g_set_error_literal (&self->construct_error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                           "Both PKCS #12 data and certificate data provided");
    }
  else if (self->pkcs12_data)
    {
      self->handle = dtlsgo_core_certificate_new_from_pkcs12 (self->pkcs12_data, self->password,
                                                              &self->construct_error);
      if (self->handle)
        take_issuer_chain (self);
    }
  else if (have_cert)
    {
      DtlsGoHandle issuer = 0;

      if (self->issuer)
        issuer = dtlsgo_certificate_handle_for (self->issuer, &self->construct_error);
      if (!self->issuer || issuer)
        self->handle = dtlsgo_core_certificate_new (self->der, self->pem,
                                                    self->key_der, self->key_pem,
                                                    issuer, &self->construct_error);
      if (issuer)
        dtlsgo_core_handle_free (issuer);
    }
  /* With no data at all, GInitable.init reports it, unless an internal
   * constructor sets the handle. */

  clear_input (self);
}

static gboolean
dtls_go_certificate_initable_init (GInitable     *initable,
                                   GCancellable  *cancellable,
                                   GError       **error)
{
  DtlsGoCertificate *self = DTLS_GO_CERTIFICATE (initable);

  if (self->construct_error)
    {
      g_propagate_error (error, g_error_copy (self->construct_error));
      return FALSE;
    }
  if (!self->handle)
    {
      g_set_error_literal (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                           "No certificate data provided");
      return FALSE;
    }
  return TRUE;
}

static void
dtls_go_certificate_initable_iface_init (GInitableIface *iface)
{
  iface->init = dtls_go_certificate_initable_init;
}

static void
dtls_go_certificate_finalize (GObject *object)
{
  DtlsGoCertificate *self = DTLS_GO_CERTIFICATE (object);

  if (self->handle)
    dtlsgo_core_handle_free (self->handle);
  g_clear_object (&self->issuer);
  g_clear_error (&self->construct_error);
  clear_input (self);

  G_OBJECT_CLASS (dtls_go_certificate_parent_class)->finalize (object);
}

static void
dtls_go_certificate_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  DtlsGoCertificate *self = DTLS_GO_CERTIFICATE (object);
  DtlsGoHandle h = self->handle;

  switch (prop_id)
    {
    case PROP_CERTIFICATE:
      g_value_take_boxed (value, byte_array_from_bytes (dtlsgo_core_certificate_get_der (h)));
      break;
    case PROP_CERTIFICATE_PEM:
      g_value_take_string (value, dtlsgo_core_certificate_get_pem (h));
      break;
    case PROP_PRIVATE_KEY:
      g_value_take_boxed (value, byte_array_from_bytes (dtlsgo_core_certificate_get_private_key_der (h)));
      break;
    case PROP_PRIVATE_KEY_PEM:
      g_value_take_string (value, dtlsgo_core_certificate_get_private_key_pem (h));
      break;
    case PROP_ISSUER:
      g_value_set_object (value, self->issuer);
      break;
    case PROP_PKCS11_URI:
    case PROP_PRIVATE_KEY_PKCS11_URI:
      g_value_set_string (value, NULL);
      break;
    case PROP_NOT_VALID_BEFORE:
      g_value_take_boxed (value, dtlsgo_core_certificate_get_not_valid_before (h));
      break;
    case PROP_NOT_VALID_AFTER:
      g_value_take_boxed (value, dtlsgo_core_certificate_get_not_valid_after (h));
      break;
    case PROP_SUBJECT_NAME:
      g_value_take_string (value, dtlsgo_core_certificate_get_subject_name (h));
      break;
    case PROP_ISSUER_NAME:
      g_value_take_string (value, dtlsgo_core_certificate_get_issuer_name (h));
      break;
    case PROP_DNS_NAMES:
      g_value_take_boxed (value, dtlsgo_core_certificate_get_dns_names (h));
      break;
    case PROP_IP_ADDRESSES:
      g_value_take_boxed (value, dtlsgo_core_certificate_get_ip_addresses (h));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dtls_go_certificate_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  DtlsGoCertificate *self = DTLS_GO_CERTIFICATE (object);

  /* All construct-only: GObject also sets the ones not given, to NULL. */
  switch (prop_id)
    {
    case PROP_CERTIFICATE:
      self->der = bytes_from_byte_array (g_value_get_boxed (value));
      break;
    case PROP_CERTIFICATE_PEM:
      self->pem = g_value_dup_string (value);
      break;
    case PROP_PRIVATE_KEY:
      self->key_der = bytes_from_byte_array (g_value_get_boxed (value));
      break;
    case PROP_PRIVATE_KEY_PEM:
      self->key_pem = g_value_dup_string (value);
      break;
    case PROP_ISSUER:
      self->issuer = g_value_dup_object (value);
      break;
    case PROP_PKCS11_URI:
    case PROP_PRIVATE_KEY_PKCS11_URI:
      if (g_value_get_string (value))
        self->pkcs11_requested = TRUE;
      break;
    case PROP_PKCS12_DATA:
      self->pkcs12_data = bytes_from_byte_array (g_value_get_boxed (value));
      break;
    case PROP_PASSWORD:
      self->password = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GTlsCertificateFlags
dtls_go_certificate_verify (GTlsCertificate    *cert,
                            GSocketConnectable *identity,
                            GTlsCertificate    *trusted_ca)
{
  DtlsGoCertificate *self = DTLS_GO_CERTIFICATE (cert);
  g_autofree char *host = dtlsgo_identity_from_connectable (identity);
  DtlsGoHandle ca = 0;
  GTlsCertificateFlags flags;

  if (trusted_ca)
    {
      ca = dtlsgo_certificate_handle_for (trusted_ca, NULL);
      if (!ca)
        return G_TLS_CERTIFICATE_GENERIC_ERROR;
    }
  flags = dtlsgo_core_certificate_verify (self->handle, host, ca);
  if (ca)
    dtlsgo_core_handle_free (ca);
  return flags;
}

static void
dtls_go_certificate_init (DtlsGoCertificate *self)
{
}

static void
dtls_go_certificate_class_init (DtlsGoCertificateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GTlsCertificateClass *certificate_class = G_TLS_CERTIFICATE_CLASS (klass);

  object_class->constructed = dtls_go_certificate_constructed;
  object_class->finalize = dtls_go_certificate_finalize;
  object_class->get_property = dtls_go_certificate_get_property;
  object_class->set_property = dtls_go_certificate_set_property;
  certificate_class->verify = dtls_go_certificate_verify;

  /* Every one, pkcs12-data and password included: GLib takes a class that
   * leaves those two to the base class as one without PKCS #12 support. */
  g_object_class_override_property (object_class, PROP_CERTIFICATE, "certificate");
  g_object_class_override_property (object_class, PROP_CERTIFICATE_PEM, "certificate-pem");
  g_object_class_override_property (object_class, PROP_PRIVATE_KEY, "private-key");
  g_object_class_override_property (object_class, PROP_PRIVATE_KEY_PEM, "private-key-pem");
  g_object_class_override_property (object_class, PROP_ISSUER, "issuer");
  g_object_class_override_property (object_class, PROP_PKCS11_URI, "pkcs11-uri");
  g_object_class_override_property (object_class, PROP_PRIVATE_KEY_PKCS11_URI, "private-key-pkcs11-uri");
  g_object_class_override_property (object_class, PROP_NOT_VALID_BEFORE, "not-valid-before");
  g_object_class_override_property (object_class, PROP_NOT_VALID_AFTER, "not-valid-after");
  g_object_class_override_property (object_class, PROP_SUBJECT_NAME, "subject-name");
  g_object_class_override_property (object_class, PROP_ISSUER_NAME, "issuer-name");
  g_object_class_override_property (object_class, PROP_DNS_NAMES, "dns-names");
  g_object_class_override_property (object_class, PROP_IP_ADDRESSES, "ip-addresses");
  g_object_class_override_property (object_class, PROP_PKCS12_DATA, "pkcs12-data");
  g_object_class_override_property (object_class, PROP_PASSWORD, "password");
}

DtlsGoHandle
dtlsgo_certificate_get_handle (DtlsGoCertificate *self)
{
  g_return_val_if_fail (DTLS_GO_IS_CERTIFICATE (self), 0);

  return self->handle;
}

GTlsCertificate *
dtlsgo_certificate_new_take_handle (DtlsGoHandle handle)
{
  DtlsGoCertificate *self;

  g_return_val_if_fail (handle != 0, NULL);

  self = g_object_new (DTLS_GO_TYPE_CERTIFICATE, NULL);
  self->handle = handle;
  take_issuer_chain (self);
  return G_TLS_CERTIFICATE (self);
}

/* cert and its issuers again, as certificates of type (another backend's),
 * each from its DER. */
static GTlsCertificate *
copy_chain_as (GTlsCertificate  *cert,
               GType             type,
               GError          **error)
{
  g_autoptr(GTlsCertificate) issuer = NULL;
  g_autoptr(GByteArray) der = NULL;

  if (g_tls_certificate_get_issuer (cert))
    {
      issuer = copy_chain_as (g_tls_certificate_get_issuer (cert), type, error);
      if (!issuer)
        return NULL;
    }
  g_object_get (cert, "certificate", &der, NULL);
  return g_initable_new (type, NULL, error, "certificate", der, "issuer", issuer, NULL);
}

GTlsCertificate *
dtlsgo_certificate_new_peer_chain (GPtrArray  *ders,
                                   GError    **error)
{
  g_autoptr(GTlsCertificate) own = NULL;
  DtlsGoHandle handle;
  GTlsBackend *backend;
  GType type;

  g_return_val_if_fail (ders != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  handle = dtlsgo_core_certificate_new_from_der_chain ((GBytes **) ders->pdata, ders->len, error);
  if (!handle)
    return NULL;
  own = dtlsgo_certificate_new_take_handle (handle);

  /* Databases of other backends take only their own certificates (GnuTLS's
   * verify_chain asserts it), and so do the rest of that backend's API: the
   * chain goes out as a certificate of GIO's default backend. GLib's dummy
   * backend (no TLS) makes none, and ours needs no copy. */
  backend = g_tls_backend_get_default ();
  type = g_tls_backend_get_certificate_type (backend);
  if (type == DTLS_GO_TYPE_CERTIFICATE || !g_tls_backend_supports_tls (backend))
    return g_steal_pointer (&own);
  return copy_chain_as (own, type, error);
}

static DtlsGoHandle
handle_for_depth (GTlsCertificate  *cert,
                  guint             depth,
                  GError          **error)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GByteArray) key_der = NULL;
  g_autofree char *key_pem = NULL;
  g_autoptr(GBytes) der_bytes = NULL;
  g_autoptr(GBytes) key_bytes = NULL;
  GTlsCertificate *issuer;
  DtlsGoHandle issuer_handle = 0;
  DtlsGoHandle handle;

  if (DTLS_GO_IS_CERTIFICATE (cert))
    {
      DtlsGoCertificate *self = DTLS_GO_CERTIFICATE (cert);

      if (!self->handle)
        {
          g_set_error_literal (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                               "No certificate data provided");
          return 0;
        }
      return dtlsgo_core_certificate_dup (self->handle);
    }

  if (depth > MAX_CHAIN_DEPTH)
    {
      g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                   "Certificate chain longer than %d certificates", MAX_CHAIN_DEPTH);
      return 0;
    }

  g_object_get (cert, "certificate", &der, "private-key", &key_der, NULL);
  if (!der)
    {
      g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                   "%s holds no certificate data", G_OBJECT_TYPE_NAME (cert));
      return 0;
    }
  if (!key_der)
    g_object_get (cert, "private-key-pem", &key_pem, NULL);

  issuer = g_tls_certificate_get_issuer (cert);
  if (issuer)
    {
      issuer_handle = handle_for_depth (issuer, depth + 1, error);
      if (!issuer_handle)
        return 0;
    }

  der_bytes = g_bytes_new (der->data, der->len);
  key_bytes = key_der ? g_bytes_new (key_der->data, key_der->len) : NULL;
  handle = dtlsgo_core_certificate_new (der_bytes, NULL, key_bytes, key_pem, issuer_handle, error);
  if (issuer_handle)
    dtlsgo_core_handle_free (issuer_handle);
  return handle;
}

DtlsGoHandle
dtlsgo_certificate_handle_for (GTlsCertificate  *cert,
                               GError          **error)
{
  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (cert), 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  return handle_for_depth (cert, 0, error);
}

char *
dtlsgo_identity_from_connectable (GSocketConnectable *identity)
{
  if (identity == NULL)
    return NULL;
  if (G_IS_NETWORK_ADDRESS (identity))
    return g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (identity)));
  if (G_IS_NETWORK_SERVICE (identity))
    return g_strdup (g_network_service_get_domain (G_NETWORK_SERVICE (identity)));
  if (G_IS_INET_SOCKET_ADDRESS (identity))
    return g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (identity)));
  return g_strdup ("");
}
