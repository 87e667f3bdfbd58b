#pragma once

#include <gio/gio.h>

#include "dtlsgo.h"
#include "dtlsgo-core.h"

G_BEGIN_DECLS

/* The seam between the shared connection base and its two roles, after
 * glib-networking's split. */
struct _DtlsGoConnectionClass
{
  GTlsConnectionClass parent_class;

  gboolean is_client;

  /* Fills the role's part of the handshake parameters; strings borrowed
   * from the connection. */
  void (*prepare_handshake) (DtlsGoConnection      *self,
                             DtlsGoHandshakeParams *params);
  /* The identity the peer's certificate must match, or NULL. */
  GSocketConnectable *(*get_peer_identity) (DtlsGoConnection *self);
  /* Decides on a verified peer certificate: TRUE accepts it. */
  gboolean (*accept_peer) (DtlsGoConnection     *self,
                           GTlsCertificate      *peer,
                           GTlsCertificateFlags  errors);
  /* The server asked for a certificate listing these CA names (GBytes). */
  void (*certificate_requested) (DtlsGoConnection *self,
                                 GPtrArray        *accepted_cas);
  /* The handshake completed. */
  void (*handshake_done) (DtlsGoConnection *self);
  /* A server's key for a client's PSK identity, or NULL. */
  GBytes *(*psk_requested) (DtlsGoConnection *self,
                            const gchar      *identity);

  gpointer padding[8];
};

DtlsGoHandle dtlsgo_connection_get_core (DtlsGoConnection *self);
/* The base-io-stream of a stream TLS connection, NULL for DTLS. */
GIOStream *dtlsgo_connection_get_base_io_stream (DtlsGoConnection *self);
/* The start of every send, receive, read and write: the handshake done
 * (or started in the background, WOULD_BLOCK, when *timeout is 0; or
 * failed: the core reports that), and *timeout cut to what it left. */
gboolean dtlsgo_connection_begin_io (DtlsGoConnection  *self,
                                     gint64            *timeout,
                                     GCancellable      *cancellable,
                                     GError           **error);

/* The closure_callback of a GDatagramBasedSourceFunc source (shared with
 * DtlsGoPeerSocket's sources). */
gboolean dtlsgo_datagram_source_closure_callback (GDatagramBased *datagram_based,
                                                  GIOCondition    condition,
                                                  gpointer        data);

G_END_DECLS
