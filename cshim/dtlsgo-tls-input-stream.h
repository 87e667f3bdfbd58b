#pragma once

#include <gio/gio.h>

#include "dtlsgo.h"

G_BEGIN_DECLS

/* The input stream of a stream TLS connection: a GPollableInputStream whose
 * readiness is the TLS layer's. It holds only a weak reference to the
 * connection: once that is gone, I/O fails with G_IO_ERROR_CLOSED. */
#define DTLS_GO_TYPE_TLS_INPUT_STREAM (dtls_go_tls_input_stream_get_type ())
G_DECLARE_FINAL_TYPE (DtlsGoTlsInputStream, dtls_go_tls_input_stream, DTLS_GO, TLS_INPUT_STREAM, GInputStream)

GInputStream *dtlsgo_tls_input_stream_new (DtlsGoConnection *connection);

G_END_DECLS
