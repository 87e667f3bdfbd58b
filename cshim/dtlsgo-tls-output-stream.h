#pragma once

#include <gio/gio.h>

#include "dtlsgo.h"

G_BEGIN_DECLS

/* The output stream of a stream TLS connection: a GPollableOutputStream whose
 * readiness is the TLS layer's. It holds only a weak reference to the
 * connection: once that is gone, I/O fails with G_IO_ERROR_CLOSED. */
#define DTLS_GO_TYPE_TLS_OUTPUT_STREAM (dtls_go_tls_output_stream_get_type ())
G_DECLARE_FINAL_TYPE (DtlsGoTlsOutputStream, dtls_go_tls_output_stream, DTLS_GO, TLS_OUTPUT_STREAM, GOutputStream)

GOutputStream *dtlsgo_tls_output_stream_new (DtlsGoConnection *connection);

G_END_DECLS
