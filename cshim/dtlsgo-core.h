/* The seam: every function the Go core exports to the C shim (implemented
 * in package export, one file per area), and the few C functions the Go side
 * calls back. Each export recovers Go panics and reports failures through its
 * GError** in the right domain and code; handles are runtime/cgo handles of
 * Go objects, 0 meaning none, freed with dtlsgo_core_handle_free.
 *
 * Keep each area's rows in its own section: the sections are edited by
 * different people. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef guintptr DtlsGoHandle;

/* ---- Handles -------------------------------------------------------------- */

void dtlsgo_core_handle_free (DtlsGoHandle handle);

/* ---- Certificates and databases (export/certificate.go, export/database.go) */

/* cgo spells a Go export's parameter types as written in Go, so a const
 * string parameter needs a type name of its own. */
typedef const char DtlsGoConstChar;

/* A certificate handle holds an immutable Go dtlsgo.Certificate: the
 * parsed certificate, its issuer's certificate when known, its private key
 * when it has one. Failures are G_TLS_ERROR_BAD_CERTIFICATE with a message
 * naming the problem unless said otherwise. */

/* From GTlsCertificate's construct properties: der or pem (one of them),
 * key_der or key_pem (at most one; it must match the certificate), and the
 * issuer's handle or 0 (borrowed). */
DtlsGoHandle dtlsgo_core_certificate_new (GBytes *der, DtlsGoConstChar *pem,
                                          GBytes *key_der, DtlsGoConstChar *key_pem,
                                          DtlsGoHandle issuer, GError **error);
/* From DER PKCS #12 data holding a certificate, its key and maybe its
 * chain; password may be NULL. A wrong or missing password is
 * G_TLS_ERROR_BAD_CERTIFICATE_PASSWORD. */
DtlsGoHandle dtlsgo_core_certificate_new_from_pkcs12 (GBytes *data, DtlsGoConstChar *password,
                                                      GError **error);
/* From a peer's DER certificates, leaf first; issuers are linked by name. */
DtlsGoHandle dtlsgo_core_certificate_new_from_der_chain (GBytes **ders, guint n_ders,
                                                         GError **error);
/* A new handle to the same certificate / to its issuer's (0 if none). */
DtlsGoHandle dtlsgo_core_certificate_dup (DtlsGoHandle cert);
DtlsGoHandle dtlsgo_core_certificate_get_issuer (DtlsGoHandle cert);
/* Properties, transfer full; NULL when cert is 0 or has no such value.
 * Private keys read as unencrypted PKCS #8; names as GnuTLS formats them;
 * dns-names hold GBytes, ip-addresses GInetAddress. */
GBytes *dtlsgo_core_certificate_get_der (DtlsGoHandle cert);
char *dtlsgo_core_certificate_get_pem (DtlsGoHandle cert);
GBytes *dtlsgo_core_certificate_get_private_key_der (DtlsGoHandle cert);
char *dtlsgo_core_certificate_get_private_key_pem (DtlsGoHandle cert);
GDateTime *dtlsgo_core_certificate_get_not_valid_before (DtlsGoHandle cert);
GDateTime *dtlsgo_core_certificate_get_not_valid_after (DtlsGoHandle cert);
char *dtlsgo_core_certificate_get_subject_name (DtlsGoHandle cert);
char *dtlsgo_core_certificate_get_issuer_name (DtlsGoHandle cert);
GPtrArray *dtlsgo_core_certificate_get_dns_names (DtlsGoHandle cert);
GPtrArray *dtlsgo_core_certificate_get_ip_addresses (DtlsGoHandle cert);
/* g_tls_certificate_verify. identity: a host name or IP literal; NULL for
 * no identity; "" for an identity naming no host (always BAD_IDENTITY).
 * trusted_ca: a certificate handle or 0. */
GTlsCertificateFlags dtlsgo_core_certificate_verify (DtlsGoHandle cert, DtlsGoConstChar *identity,
                                                     DtlsGoHandle trusted_ca);

/* A database handle holds a Go dtlsgo.Database (a trust store). */

/* The anchors of a PEM file (an absolute path); handle_prefix starts the
 * handles of its certificates (the file's URI). G_TLS_ERROR_MISC if the
 * file cannot be read or holds no certificate. */
DtlsGoHandle dtlsgo_core_database_new_file (DtlsGoConstChar *anchors, DtlsGoConstChar *handle_prefix,
                                            GError **error);
/* The system trust store: one per process, read on first use. */
DtlsGoHandle dtlsgo_core_database_new_system (void);
/* g_tls_database_verify_chain: purpose is an extended key usage OID;
 * identity as for dtlsgo_core_certificate_verify. Errors (a system store
 * that failed to load) come with G_TLS_CERTIFICATE_GENERIC_ERROR. */
GTlsCertificateFlags dtlsgo_core_database_verify_chain (DtlsGoHandle db, DtlsGoHandle chain,
                                                        DtlsGoConstChar *purpose,
                                                        DtlsGoConstChar *identity,
                                                        GError **error);
/* The handle string of an anchor, or NULL when cert is not one. */
char *dtlsgo_core_database_create_certificate_handle (DtlsGoHandle db, DtlsGoHandle cert);
/* Lookups return certificate handles; 0 (or n_certs 0) with no error when
 * nothing matches. */
DtlsGoHandle dtlsgo_core_database_lookup_certificate_for_handle (DtlsGoHandle db,
                                                                 DtlsGoConstChar *handle,
                                                                 GError **error);
DtlsGoHandle dtlsgo_core_database_lookup_certificate_issuer (DtlsGoHandle db, DtlsGoHandle cert,
                                                             GTlsDatabaseLookupFlags flags,
                                                             GError **error);
/* Returns a g_malloc'ed array of *n_certs handles. */
DtlsGoHandle *dtlsgo_core_database_lookup_certificates_issued_by (DtlsGoHandle db,
                                                                  GBytes *issuer_raw_dn,
                                                                  GTlsDatabaseLookupFlags flags,
                                                                  guint *n_certs,
                                                                  GError **error);

/* ---- Connections (export/connection.go) ------------------------------------ */

G_END_DECLS
