#pragma once

#include "dtlsgo.h"
#include "dtlsgo-core.h"

G_BEGIN_DECLS

/* Takes over peer (a handle from dtlsgo_core_listener_accept). */
DtlsGoPeerSocket *dtlsgo_peer_socket_new (DtlsGoHandle peer);

G_END_DECLS
