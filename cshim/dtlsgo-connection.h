#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define DTLS_GO_TYPE_CONNECTION (dtls_go_connection_get_type ())
G_DECLARE_DERIVABLE_TYPE (DtlsGoConnection, dtls_go_connection, DTLS_GO, CONNECTION, GTlsConnection)

struct _DtlsGoConnectionClass
{
  GTlsConnectionClass parent_class;
};

G_END_DECLS
