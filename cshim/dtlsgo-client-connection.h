#pragma once

#include "dtlsgo-connection.h"

G_BEGIN_DECLS

#define DTLS_GO_TYPE_CLIENT_CONNECTION (dtls_go_client_connection_get_type ())
G_DECLARE_FINAL_TYPE (DtlsGoClientConnection, dtls_go_client_connection, DTLS_GO, CLIENT_CONNECTION, DtlsGoConnection)

G_END_DECLS
