/* What the files of DtlsGoConnection share: its private data and the
 * functions one file implements for another. dtlsgo-connection.c holds the
 * object, its properties and its vtables; dtlsgo-connection-handshake.c the
 * handshake ops and the core's upcalls; dtlsgo-connection-io.c datagram
 * I/O and close; dtlsgo-connection-source.c the readiness sources. */
#pragma once

#include "dtlsgo-connection.h"

G_BEGIN_DECLS

typedef struct
{
  GDatagramBased *base_socket;
  GIOStream *base_io_stream; /* stream TLS (dtlsgo-connection-stream.c) */
  DtlsGoHandle core;

  GMutex lock; /* guards the fields below; never held across a call out */
  GTlsDatabase *database;
  gboolean database_is_set;
  GTlsInteraction *interaction;
  GTlsCertificate *certificate;
  GTlsCertificate *peer_certificate;
  GTlsCertificateFlags peer_certificate_errors;
  gboolean require_close_notify;
  GTlsRehandshakeMode rehandshake_mode;
  gchar **advertised_protocols;
  gchar *negotiated_protocol;
  gchar *ciphersuite_name;
  gboolean handshake_complete;
  GTlsProtocolVersion protocol_version;
  gboolean session_resumed;
  GMainContext *handshake_context; /* of the op that started the handshake */
  GArray *wakeups;                 /* eventfds of this connection's sources */
  gchar **srtp_profiles;
  gchar *srtp_profile;
  gint connection_id_length;
  guint handshake_timeout;
  guint retransmission_interval;
  guint mtu;
  GByteArray *binding_arrays[3];   /* per GTlsChannelBindingType, for PyGObject */
} DtlsGoConnectionPrivate;

DtlsGoConnectionPrivate *dtlsgo_connection_get_private (DtlsGoConnection *self);
#define PRIV(self) dtlsgo_connection_get_private (DTLS_GO_CONNECTION (self))

/* dtlsgo-connection.c */
GTlsDatabase *dtlsgo_connection_dup_database (DtlsGoConnection *self);

/* dtlsgo-connection-handshake.c */
gboolean dtlsgo_connection_ensure_handshake (DtlsGoConnection *self,
                                             gint64            timeout,
                                             GCancellable     *cancellable,
                                             GError          **error);
gboolean dtlsgo_connection_handshake (GDtlsConnection *conn,
                                      GCancellable    *cancellable,
                                      GError         **error);
void dtlsgo_connection_handshake_async (GDtlsConnection     *conn,
                                        int                  io_priority,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean dtlsgo_connection_handshake_finish (GDtlsConnection *conn,
                                             GAsyncResult    *result,
                                             GError         **error);
gboolean dtlsgo_connection_tls_handshake (GTlsConnection *conn,
                                          GCancellable   *cancellable,
                                          GError        **error);
void dtlsgo_connection_tls_handshake_async (GTlsConnection      *conn,
                                            int                  io_priority,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean dtlsgo_connection_tls_handshake_finish (GTlsConnection *conn,
                                                 GAsyncResult   *result,
                                                 GError        **error);

/* dtlsgo-connection-io.c */
gint dtlsgo_connection_receive_messages (GDatagramBased  *datagram_based,
                                         GInputMessage   *messages,
                                         guint            num_messages,
                                         gint             flags,
                                         gint64           timeout,
                                         GCancellable    *cancellable,
                                         GError         **error);
gint dtlsgo_connection_send_messages (GDatagramBased  *datagram_based,
                                      GOutputMessage  *messages,
                                      guint            num_messages,
                                      gint             flags,
                                      gint64           timeout,
                                      GCancellable    *cancellable,
                                      GError         **error);
GIOCondition dtlsgo_connection_condition_check (GDatagramBased *datagram_based,
                                                GIOCondition    condition);
gboolean dtlsgo_connection_condition_wait (GDatagramBased  *datagram_based,
                                           GIOCondition     condition,
                                           gint64           timeout,
                                           GCancellable    *cancellable,
                                           GError         **error);
gboolean dtlsgo_connection_shutdown (GDtlsConnection *conn,
                                     gboolean         shutdown_read,
                                     gboolean         shutdown_write,
                                     GCancellable    *cancellable,
                                     GError         **error);
void dtlsgo_connection_shutdown_async (GDtlsConnection     *conn,
                                       gboolean             shutdown_read,
                                       gboolean             shutdown_write,
                                       int                  io_priority,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
gboolean dtlsgo_connection_shutdown_finish (GDtlsConnection *conn,
                                            GAsyncResult    *result,
                                            GError         **error);
gboolean dtlsgo_connection_close (GIOStream     *stream,
                                  GCancellable  *cancellable,
                                  GError       **error);
void dtlsgo_connection_close_async (GIOStream           *stream,
                                    int                  io_priority,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
gboolean dtlsgo_connection_close_finish (GIOStream     *stream,
                                         GAsyncResult  *result,
                                         GError       **error);

/* dtlsgo-connection-source.c */
GSource *dtlsgo_connection_create_source (GDatagramBased *datagram_based,
                                          GIOCondition    condition,
                                          GCancellable   *cancellable);

G_END_DECLS
