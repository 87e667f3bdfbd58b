#pragma once

#include <gio/gio.h>

#include "dtlsgo.h"

G_BEGIN_DECLS

/* Below glib-networking (gnutls 0, openssl -1) and above GLib's dummy
 * (-100): installing dtlsgo changes nothing until a user asks for it. */
#define DTLSGO_BACKEND_PRIORITY (-10)

void dtlsgo_backend_register (void);

G_END_DECLS
