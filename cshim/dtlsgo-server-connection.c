#define G_LOG_DOMAIN "dtlsgo"

#include "dtlsgo-server-connection.h"

struct _DtlsGoServerConnection
{
  DtlsGoConnection parent_instance;
};

G_DEFINE_FINAL_TYPE (DtlsGoServerConnection, dtls_go_server_connection, DTLS_GO_TYPE_CONNECTION)

static void dtls_go_server_connection_init (DtlsGoServerConnection *self) {}
static void dtls_go_server_connection_class_init (DtlsGoServerConnectionClass *klass) {}
