#pragma once

#include "dtlsgo-connection.h"

G_BEGIN_DECLS

#define DTLS_GO_TYPE_SERVER_CONNECTION (dtls_go_server_connection_get_type ())
G_DECLARE_FINAL_TYPE (DtlsGoServerConnection, dtls_go_server_connection, DTLS_GO, SERVER_CONNECTION, DtlsGoConnection)

G_END_DECLS
