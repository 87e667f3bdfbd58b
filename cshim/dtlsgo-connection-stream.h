#pragma once

#include <gio/gio.h>

#include "dtlsgo-connection.h"

G_BEGIN_DECLS

/* Stream TLS on the connection base (dtlsgo-connection-stream.c): what a
 * connection made over a base-io-stream does where a DTLS one differs. */

/* The core of a connection over base, with its input and output streams. */
DtlsGoHandle dtlsgo_connection_stream_init (DtlsGoConnection *self,
                                            GIOStream        *base,
                                            gboolean          is_client,
                                            GError          **error);

GInputStream *dtlsgo_connection_stream_get_input_stream (DtlsGoConnection *self);
GOutputStream *dtlsgo_connection_stream_get_output_stream (DtlsGoConnection *self);

/* GDtlsConnection's shutdown on a stream connection: both sides close the
 * connection (close_notify, then the base), one side half-closes as closing
 * that side's stream does. */
gboolean dtlsgo_connection_stream_shutdown (DtlsGoConnection  *self,
                                            gboolean           shutdown_read,
                                            gboolean           shutdown_write,
                                            GCancellable      *cancellable,
                                            GError           **error);

/* The bound of a blocking operation: the base socket's timeout (µs), or -1. */
gint64 dtlsgo_connection_stream_timeout (DtlsGoConnection *self);

/* For the input and output streams: blocking or not (WOULD_BLOCK), with
 * the implicit handshake. */
gssize dtlsgo_connection_stream_read (DtlsGoConnection  *self,
                                      void              *buffer,
                                      gsize              count,
                                      gboolean           blocking,
                                      GCancellable      *cancellable,
                                      GError           **error);
gssize dtlsgo_connection_stream_write (DtlsGoConnection  *self,
                                       const void        *buffer,
                                       gsize              count,
                                       gboolean           blocking,
                                       GCancellable      *cancellable,
                                       GError           **error);
/* Half-closes: the read side (then the base's input stream), or the write
 * side after close_notify (then the base's output stream). */
gboolean dtlsgo_connection_stream_close_read (DtlsGoConnection  *self,
                                              GCancellable      *cancellable,
                                              GError           **error);
gboolean dtlsgo_connection_stream_close_write (DtlsGoConnection  *self,
                                               GCancellable      *cancellable,
                                               GError           **error);
/* Readiness (G_IO_IN, G_IO_OUT) and a source for it, for pollable_stream. */
gboolean dtlsgo_connection_stream_is_ready (DtlsGoConnection *self,
                                            GIOCondition      condition);
GSource *dtlsgo_connection_stream_create_source (DtlsGoConnection *self,
                                                 GIOCondition      condition,
                                                 GObject          *pollable_stream,
                                                 GCancellable     *cancellable);

G_END_DECLS
