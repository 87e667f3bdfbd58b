#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define DTLS_GO_TYPE_CERTIFICATE (dtls_go_certificate_get_type ())
G_DECLARE_FINAL_TYPE (DtlsGoCertificate, dtls_go_certificate, DTLS_GO, CERTIFICATE, GTlsCertificate)

G_END_DECLS
