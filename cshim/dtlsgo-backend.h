#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define DTLS_GO_TYPE_BACKEND (dtls_go_backend_get_type ())
G_DECLARE_FINAL_TYPE (DtlsGoBackend, dtls_go_backend, DTLS_GO, BACKEND, GObject)

/* Below glib-networking (gnutls 0, openssl -1) and above GLib's dummy
 * (-100): installing dtlsgo changes nothing until a user asks for it. */
#define DTLSGO_BACKEND_PRIORITY (-10)

void dtlsgo_backend_register (void);

G_END_DECLS
