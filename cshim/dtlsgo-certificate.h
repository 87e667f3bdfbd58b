#pragma once

#include <gio/gio.h>

#include "dtlsgo.h"
#include "dtlsgo-core.h"

G_BEGIN_DECLS

/* The Go dtlsgo.Certificate (certificate, issuers, private key) the object
 * holds; owned by the object, 0 if it was never given certificate data. */
DtlsGoHandle dtlsgo_certificate_get_handle (DtlsGoCertificate *self);

/* A certificate from a peer's DER certificates (GBytes, leaf first), its
 * issuer property linked through the rest; of GIO's default backend's
 * certificate type, so that backend's databases and API take it (ours when
 * dtlsgo is the default or no backend makes certificates). */
GTlsCertificate *dtlsgo_certificate_new_peer_chain (GPtrArray  *ders,
                                                    GError    **error);

/* A new handle to a Go certificate equal to cert, which may be of any
 * GTlsCertificate type: ours share their Go object; others are rebuilt from
 * their certificate, private-key (or private-key-pem) and issuer
 * properties. Free it with dtlsgo_core_handle_free. 0 and an error if cert
 * holds nothing usable. */
DtlsGoHandle dtlsgo_certificate_handle_for (GTlsCertificate  *cert,
                                            GError          **error);

/* A certificate object around handle, taking it, with its issuer chain. */
GTlsCertificate *dtlsgo_certificate_new_take_handle (DtlsGoHandle handle);

/* The identity string of dtlsgo-core.h for a GSocketConnectable: its host
 * name or IP literal; NULL for NULL; "" for a type that names no host. */
char *dtlsgo_identity_from_connectable (GSocketConnectable *identity);

G_END_DECLS
