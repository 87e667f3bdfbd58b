/* Certificates and databases as a C program sees them: dtlsgo loaded the
 * way any GLib program loads a TLS backend (GIO_MODULE_DIR), used through
 * public GIO API only. Covers what the Python tests cannot reach:
 * GByteArray construct properties, a GTlsCertificate of a foreign type,
 * and object lifetimes. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* Made with openssl by tests-python/helpers/fixtures.py: an ECDSA root,
 * and a leaf for localhost and 127.0.0.1 (serverAuth) valid 2020–2098. */
static const char ROOT_PEM[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBnTCCAUKgAwIBAgICEAEwCgYIKoZIzj0EAwIwNDEVMBMGA1UECgwMZHRsc2dv\n"
  "IHRlc3RzMRswGQYDVQQDDBJkdGxzZ28gQyBUZXN0IFJvb3QwIBcNMDAwMTAxMDAw\n"
  "MDAwWhgPMjA5OTEyMzEyMzU5NTlaMDQxFTATBgNVBAoMDGR0bHNnbyB0ZXN0czEb\n"
  "MBkGA1UEAwwSZHRsc2dvIEMgVGVzdCBSb290MFkwEwYHKoZIzj0CAQYIKoZIzj0D\n"
  "AQcDQgAE3awD3nS28cMQCWtZuulVFBg2a5NWDxMv8yAusLAQbzKcmGOC7rwltE+t\n"
  "p3py1nG5h++nFM+4eI1StDzaE74yeqNCMEAwDwYDVR0TAQH/BAUwAwEB/zAOBgNV\n"
  "HQ8BAf8EBAMCAQYwHQYDVR0OBBYEFGR3HqsrSUSdhoPs6vmz7d1gTC7cMAoGCCqG\n"
  "SM49BAMCA0kAMEYCIQCv41lbkKjtjQxgIXZUVx5SGmcAVC6ZuSIXnBtqT+K5cgIh\n"
  "ALPXGG9afRyCxcSpxc+so6KgbbMoO8rU7zbuyu5VAjCQ\n"
  "-----END CERTIFICATE-----\n";

static const char SERVER_PEM[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIB3zCCAYagAwIBAgICEAIwCgYIKoZIzj0EAwIwNDEVMBMGA1UECgwMZHRsc2dv\n"
  "IHRlc3RzMRswGQYDVQQDDBJkdGxzZ28gQyBUZXN0IFJvb3QwIBcNMjAwMTAxMDAw\n"
  "MDAwWhgPMjA5ODAxMDEwMDAwMDBaMDgxCzAJBgNVBAYTAlVTMRUwEwYDVQQKDAxk\n"
  "dGxzZ28gdGVzdHMxEjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqG\n"
  "SM49AwEHA0IABFO9SBRiga8+NGxUdD4jfDlxmtIdqjkg6gZFdLGat+Ghi7I5H1JP\n"
  "OZ3hvlc8EC8mgP1lwHWw/pTiiz+3EWgO/lqjgYEwfzAMBgNVHRMBAf8EAjAAMBMG\n"
  "A1UdJQQMMAoGCCsGAQUFBwMBMB0GA1UdDgQWBBSDokqO2JbYEbIqixiiHBrZBisy\n"
  "ODAfBgNVHSMEGDAWgBRkdx6rK0lEnYaD7Or5s+3dYEwu3DAaBgNVHREEEzARggls\n"
  "b2NhbGhvc3SHBH8AAAEwCgYIKoZIzj0EAwIDRwAwRAIgZp7c2Y7Nv/Ni+H5WpW9v\n"
  "Pn95lCrVIPdoDoPCU7PLuoICIAYlzgsEH+1kc8ecOp2k0SnaPiQ8V3ugAGsWQuCx\n"
  "4qPg\n"
  "-----END CERTIFICATE-----\n";

static const char SERVER_KEY_PEM[] =
  "-----BEGIN PRIVATE KEY-----\n"
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgMgdt6e/96n0zVIrg\n"
  "x1MvWI3o1bY1U2IJlBUkW+znOS+hRANCAARTvUgUYoGvPjRsVHQ+I3w5cZrSHao5\n"
  "IOoGRXSxmrfhoYuyOR9STzmd4b5XPBAvJoD9ZcB1sP6U4os/txFoDv5a\n"
  "-----END PRIVATE KEY-----\n";

/* ---- A GTlsCertificate of another implementation ------------------------ */

/* Only DER and issuer, as a third-party GTlsCertificate could be: dtlsgo
 * must rebuild its own certificate from the properties. */
typedef struct
{
  GTlsCertificate parent_instance;
  GByteArray *der;
  GTlsCertificate *issuer;
} TestForeignCert;

typedef GTlsCertificateClass TestForeignCertClass;

G_DEFINE_TYPE (TestForeignCert, test_foreign_cert, G_TYPE_TLS_CERTIFICATE)

enum { FOREIGN_PROP_0, FOREIGN_PROP_CERTIFICATE, FOREIGN_PROP_CERTIFICATE_PEM,
       FOREIGN_PROP_PRIVATE_KEY, FOREIGN_PROP_PRIVATE_KEY_PEM, FOREIGN_PROP_ISSUER };

static void
test_foreign_cert_get_property (GObject *object, guint prop_id, GValue *value, G_GNUC_UNUSED GParamSpec *pspec)
{
  TestForeignCert *self = (TestForeignCert *) object;

  switch (prop_id)
    {
    case FOREIGN_PROP_CERTIFICATE:
      g_value_set_boxed (value, self->der);
      break;
    case FOREIGN_PROP_ISSUER:
      g_value_set_object (value, self->issuer);
      break;
    case FOREIGN_PROP_PRIVATE_KEY:
      g_value_set_boxed (value, NULL);
      break;
    default:
      g_value_set_string (value, NULL);
    }
}

static void
test_foreign_cert_set_property (GObject *object, guint prop_id, const GValue *value, G_GNUC_UNUSED GParamSpec *pspec)
{
  TestForeignCert *self = (TestForeignCert *) object;

  if (prop_id == FOREIGN_PROP_CERTIFICATE && g_value_get_boxed (value))
    self->der = g_byte_array_ref (g_value_get_boxed (value));
  else if (prop_id == FOREIGN_PROP_ISSUER)
    self->issuer = g_value_dup_object (value);
}

static void
test_foreign_cert_finalize (GObject *object)
{
  TestForeignCert *self = (TestForeignCert *) object;

  g_clear_pointer (&self->der, g_byte_array_unref);
  g_clear_object (&self->issuer);
  G_OBJECT_CLASS (test_foreign_cert_parent_class)->finalize (object);
}

static void
test_foreign_cert_init (G_GNUC_UNUSED TestForeignCert *self)
{
}

static void
test_foreign_cert_class_init (TestForeignCertClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = test_foreign_cert_get_property;
  object_class->set_property = test_foreign_cert_set_property;
  object_class->finalize = test_foreign_cert_finalize;
  g_object_class_override_property (object_class, FOREIGN_PROP_CERTIFICATE, "certificate");
  g_object_class_override_property (object_class, FOREIGN_PROP_CERTIFICATE_PEM, "certificate-pem");
  g_object_class_override_property (object_class, FOREIGN_PROP_PRIVATE_KEY, "private-key");
  g_object_class_override_property (object_class, FOREIGN_PROP_PRIVATE_KEY_PEM, "private-key-pem");
  g_object_class_override_property (object_class, FOREIGN_PROP_ISSUER, "issuer");
}

/* ---- Helpers ------------------------------------------------------------ */

static GByteArray *
der_of (const char *pem)
{
  g_autoptr(GTlsCertificate) cert = g_tls_certificate_new_from_pem (pem, -1, NULL);
  GByteArray *der = NULL;

  g_assert_nonnull (cert);
  g_object_get (cert, "certificate", &der, NULL);
  return der;
}

static GByteArray *
pem_body (const char *pem)
{
  g_auto(GStrv) lines = g_strsplit (pem, "\n", -1);
  g_autofree char *joined = NULL;
  guchar *data;
  gsize len;

  /* Drop the BEGIN and END lines (and the empty string after the last \n). */
  g_free (lines[0]);
  lines[0] = g_strdup ("");
  g_free (lines[g_strv_length (lines) - 2]);
  lines[g_strv_length (lines) - 2] = g_strdup ("");
  joined = g_strjoinv ("", lines);
  data = g_base64_decode (joined, &len);
  return g_byte_array_new_take (data, len);
}

static char *
write_temp (const char *contents)
{
  GError *error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("dtlsgo-test-XXXXXX.pem", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static GType
cert_type (void)
{
  return g_tls_backend_get_certificate_type (g_tls_backend_get_default ());
}

/* ---- Tests -------------------------------------------------------------- */

static void
test_backend_types (void)
{
  GTlsBackend *backend = g_tls_backend_get_default ();

  g_assert_cmpstr (G_OBJECT_TYPE_NAME (backend), ==, "DtlsGoBackend");
  g_assert_cmpstr (g_type_name (cert_type ()), ==, "DtlsGoCertificate");
  g_assert_cmpstr (g_type_name (g_tls_backend_get_file_database_type (backend)), ==, "DtlsGoFileDatabase");
}

static void
test_pem_properties (void)
{
  GError *error = NULL;
  g_autoptr(GTlsCertificate) cert = g_tls_certificate_new_from_pem (SERVER_PEM, -1, &error);
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GByteArray) expected_der = pem_body (SERVER_PEM);
  g_autofree char *pem = NULL, *subject = NULL, *issuer = NULL, *before = NULL, *after = NULL;
  g_autoptr(GDateTime) not_before = NULL, not_after = NULL;
  g_autoptr(GPtrArray) dns = NULL, ips = NULL;
  g_autoptr(GInetAddress) localhost_ip = g_inet_address_new_from_string ("127.0.0.1");

  g_assert_no_error (error);
  g_object_get (cert, "certificate", &der, "certificate-pem", &pem, NULL);
  g_assert_cmpmem (der->data, der->len, expected_der->data, expected_der->len);
  g_assert_cmpstr (pem, ==, SERVER_PEM);

  subject = g_tls_certificate_get_subject_name (cert);
  issuer = g_tls_certificate_get_issuer_name (cert);
  g_assert_cmpstr (subject, ==, "C=US,O=dtlsgo tests,CN=localhost");
  g_assert_cmpstr (issuer, ==, "O=dtlsgo tests,CN=dtlsgo C Test Root");

  not_before = g_tls_certificate_get_not_valid_before (cert);
  not_after = g_tls_certificate_get_not_valid_after (cert);
  before = g_date_time_format_iso8601 (not_before);
  after = g_date_time_format_iso8601 (not_after);
  g_assert_cmpstr (before, ==, "2020-01-01T00:00:00Z");
  g_assert_cmpstr (after, ==, "2098-01-01T00:00:00Z");

  dns = g_tls_certificate_get_dns_names (cert);
  g_assert_cmpuint (dns->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (dns->pdata[0], NULL), g_bytes_get_size (dns->pdata[0]), "localhost", 9);
  ips = g_tls_certificate_get_ip_addresses (cert);
  g_assert_cmpuint (ips->len, ==, 1);
  g_assert_true (g_inet_address_equal (ips->pdata[0], localhost_ip));
}

static void
test_der_construct_properties (void)
{
  GError *error = NULL;
  g_autoptr(GByteArray) der = pem_body (SERVER_PEM);
  g_autoptr(GByteArray) key_der = pem_body (SERVER_KEY_PEM);
  g_autoptr(GByteArray) key_back = NULL;
  g_autofree char *key_pem = NULL;
  GTlsCertificate *cert;

  cert = g_initable_new (cert_type (), NULL, &error,
                         "certificate", der, "private-key", key_der, NULL);
  g_assert_no_error (error);
  g_object_get (cert, "private-key", &key_back, "private-key-pem", &key_pem, NULL);
  g_assert_nonnull (key_back);
  g_assert_true (g_str_has_prefix (key_pem, "-----BEGIN PRIVATE KEY-----\n"));

  g_object_add_weak_pointer (G_OBJECT (cert), (gpointer *) &cert);
  g_object_unref (cert);
  g_assert_null (cert);
}

static void
test_construct_errors (void)
{
  GError *error = NULL;
  g_autoptr(GByteArray) der = pem_body (SERVER_PEM);
  g_autoptr(GByteArray) garbage = g_byte_array_new ();
  GObject *cert;

  g_byte_array_append (garbage, (const guint8 *) "garbage", 7);

  cert = g_initable_new (cert_type (), NULL, &error, "certificate", garbage, NULL);
  g_assert_null (cert);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_nonnull (strstr (error->message, "Could not parse DER certificate"));
  g_clear_error (&error);

  cert = g_initable_new (cert_type (), NULL, &error, "certificate", der, "pkcs12-data", garbage, NULL);
  g_assert_null (cert);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_clear_error (&error);

  cert = g_initable_new (cert_type (), NULL, &error, "certificate", der, "private-key", garbage, NULL);
  g_assert_null (cert);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_nonnull (strstr (error->message, "private key"));
  g_clear_error (&error);

  cert = g_initable_new (cert_type (), NULL, &error, "pkcs12-data", garbage, "password", "x", NULL);
  g_assert_null (cert);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_nonnull (strstr (error->message, "PKCS #12"));
  g_clear_error (&error);
}

static void
test_verify (void)
{
  g_autoptr(GTlsCertificate) root = g_tls_certificate_new_from_pem (ROOT_PEM, -1, NULL);
  g_autoptr(GTlsCertificate) leaf = g_tls_certificate_new_from_pem (SERVER_PEM, -1, NULL);
  g_autoptr(GSocketConnectable) localhost = g_network_address_new ("localhost", 443);
  g_autoptr(GSocketConnectable) other = g_network_address_new ("other.example", 443);
  g_autoptr(GSocketAddress) ip = g_inet_socket_address_new_from_string ("127.0.0.1", 443);

  g_assert_cmpuint (g_tls_certificate_verify (leaf, localhost, root), ==, 0);
  g_assert_cmpuint (g_tls_certificate_verify (leaf, G_SOCKET_CONNECTABLE (ip), root), ==, 0);
  g_assert_cmpuint (g_tls_certificate_verify (leaf, other, root), ==, G_TLS_CERTIFICATE_BAD_IDENTITY);
  /* A leaf is no CA: it vouches for nothing but itself. */
  g_assert_cmpuint (g_tls_certificate_verify (root, NULL, leaf), ==, G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_assert_cmpuint (g_tls_certificate_verify (leaf, NULL, leaf), ==, 0);
}

static void
test_chain_lifetime (void)
{
  g_autofree char *pem = g_strconcat (SERVER_PEM, ROOT_PEM, NULL);
  GTlsCertificate *leaf = g_tls_certificate_new_from_pem (pem, -1, NULL);
  GTlsCertificate *issuer = g_tls_certificate_get_issuer (leaf);

  g_assert_nonnull (issuer);
  g_assert_null (g_tls_certificate_get_issuer (issuer));
  g_object_add_weak_pointer (G_OBJECT (leaf), (gpointer *) &leaf);
  g_object_add_weak_pointer (G_OBJECT (issuer), (gpointer *) &issuer);
  g_object_unref (leaf);
  g_assert_null (leaf);
  g_assert_null (issuer);
}

static void
test_foreign_certificates (void)
{
  GError *error = NULL;
  g_autoptr(GByteArray) root_der = der_of (ROOT_PEM);
  g_autoptr(GByteArray) leaf_der = der_of (SERVER_PEM);
  g_autoptr(GTlsCertificate) foreign_root = g_object_new (test_foreign_cert_get_type (), "certificate", root_der, NULL);
  g_autoptr(GTlsCertificate) foreign_leaf = g_object_new (test_foreign_cert_get_type (), "certificate", leaf_der,
                                                          "issuer", foreign_root, NULL);
  g_autoptr(GTlsCertificate) leaf = g_tls_certificate_new_from_pem (SERVER_PEM, -1, NULL);
  g_autoptr(GSocketConnectable) localhost = g_network_address_new ("localhost", 443);
  g_autofree char *root_file = write_temp (ROOT_PEM);
  g_autoptr(GTlsDatabase) db = g_tls_file_database_new (root_file, &error);
  g_autoptr(GTlsCertificate) ours_over_foreign = NULL;

  g_assert_no_error (error);
  /* A foreign certificate as trusted CA, as chain, as issuer. */
  g_assert_cmpuint (g_tls_certificate_verify (leaf, localhost, foreign_root), ==, 0);
  g_assert_cmpuint (g_tls_database_verify_chain (db, foreign_leaf, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                                 localhost, NULL, 0, NULL, &error), ==, 0);
  g_assert_no_error (error);
  ours_over_foreign = g_initable_new (cert_type (), NULL, &error,
                                      "certificate-pem", SERVER_PEM, "issuer", foreign_root, NULL);
  g_assert_no_error (error);
  g_assert_true (g_tls_certificate_get_issuer (ours_over_foreign) == foreign_root);
  g_assert_cmpuint (g_tls_certificate_verify (ours_over_foreign, NULL, foreign_root), ==, 0);

  g_unlink (root_file);
}

static void
test_file_database (void)
{
  GError *error = NULL;
  g_autofree char *root_file = write_temp (ROOT_PEM);
  GTlsDatabase *db = g_tls_file_database_new (root_file, &error);
  g_autoptr(GTlsCertificate) leaf = g_tls_certificate_new_from_pem (SERVER_PEM, -1, NULL);
  g_autoptr(GTlsCertificate) root = g_tls_certificate_new_from_pem (ROOT_PEM, -1, NULL);
  g_autoptr(GTlsCertificate) issuer = NULL, found = NULL;
  g_autoptr(GSocketConnectable) localhost = g_network_address_new ("localhost", 443);
  g_autofree char *anchors = NULL, *handle = NULL;

  g_assert_no_error (error);
  g_object_get (db, "anchors", &anchors, NULL);
  g_assert_cmpstr (anchors, ==, root_file);

  g_assert_cmpuint (g_tls_database_verify_chain (db, leaf, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                                 localhost, NULL, 0, NULL, &error), ==, 0);
  g_assert_cmpuint (g_tls_database_verify_chain (db, leaf, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_CLIENT,
                                                 NULL, NULL, 0, NULL, &error), ==, G_TLS_CERTIFICATE_GENERIC_ERROR);
  g_assert_no_error (error);

  issuer = g_tls_database_lookup_certificate_issuer (db, leaf, NULL, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_tls_certificate_is_same (issuer, root));

  handle = g_tls_database_create_certificate_handle (db, root);
  g_assert_true (g_str_has_prefix (handle, "file:///"));
  found = g_tls_database_lookup_certificate_for_handle (db, handle, NULL, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_tls_certificate_is_same (found, root));

  g_object_add_weak_pointer (G_OBJECT (db), (gpointer *) &db);
  g_object_unref (db);
  g_assert_null (db);
  g_unlink (root_file);
}

static void
test_default_database_singleton (void)
{
  GTlsBackend *backend = g_tls_backend_get_default ();
  g_autoptr(GTlsDatabase) one = g_tls_backend_get_default_database (backend);
  g_autoptr(GTlsDatabase) two = g_tls_backend_get_default_database (backend);

  g_assert_true (one == two);
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (one), ==, "DtlsGoDatabase");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/certificate/backend-types", test_backend_types);
  g_test_add_func ("/certificate/pem-properties", test_pem_properties);
  g_test_add_func ("/certificate/der-construct-properties", test_der_construct_properties);
  g_test_add_func ("/certificate/construct-errors", test_construct_errors);
  g_test_add_func ("/certificate/verify", test_verify);
  g_test_add_func ("/certificate/chain-lifetime", test_chain_lifetime);
  g_test_add_func ("/certificate/foreign-certificates", test_foreign_certificates);
  g_test_add_func ("/database/file", test_file_database);
  g_test_add_func ("/database/default-is-singleton", test_default_database_singleton);
  return g_test_run ();
}
