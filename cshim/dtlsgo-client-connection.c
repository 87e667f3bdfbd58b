#define G_LOG_DOMAIN "dtlsgo"

#include "dtlsgo-client-connection.h"

struct _DtlsGoClientConnection
{
  DtlsGoConnection parent_instance;
};

G_DEFINE_FINAL_TYPE (DtlsGoClientConnection, dtls_go_client_connection, DTLS_GO_TYPE_CONNECTION)

static void dtls_go_client_connection_init (DtlsGoClientConnection *self) {}
static void dtls_go_client_connection_class_init (DtlsGoClientConnectionClass *klass) {}
