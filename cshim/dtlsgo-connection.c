#define G_LOG_DOMAIN "dtlsgo"

#include "dtlsgo-connection.h"

G_DEFINE_ABSTRACT_TYPE (DtlsGoConnection, dtls_go_connection, G_TYPE_TLS_CONNECTION)

static void dtls_go_connection_init (DtlsGoConnection *self) {}
static void dtls_go_connection_class_init (DtlsGoConnectionClass *klass) {}
