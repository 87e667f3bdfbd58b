/* Trust from C: what only C callers can show. g_dtls_connection_emit_accept_certificate
 * reaches handlers of both accept-certificate signals (GTlsConnection's and
 * GDtlsConnection's); channel binding fills a caller's GByteArray (replacing
 * what it held) and, with NULL data, only says whether the type is there. */

#include "test-util.h"

typedef struct
{
  GSocket *cs, *ss;
  GDatagramBased *client, *server;
  GTlsCertificate *cert;
} Pair;

static gboolean
accept_all (GDtlsConnection *conn, GTlsCertificate *cert, GTlsCertificateFlags errors, gpointer data)
{
  GThread **thread = data;

  if (thread)
    *thread = g_thread_self ();
  return TRUE;
}

static void
pair_new (Pair *p, GThread **accept_thread)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("localhost", 0);

  test_udp_pair (&p->cs, &p->ss);
  p->cert = test_server_certificate ();
  p->client = g_dtls_client_connection_new (G_DATAGRAM_BASED (p->cs), identity, &error);
  g_assert_no_error (error);
  p->server = g_dtls_server_connection_new (G_DATAGRAM_BASED (p->ss), p->cert, &error);
  g_assert_no_error (error);
  g_signal_connect (p->client, "accept-certificate", G_CALLBACK (accept_all), accept_thread);
}

static void
pair_free (Pair *p)
{
  g_clear_object (&p->client);
  g_clear_object (&p->server);
  g_clear_object (&p->cs);
  g_clear_object (&p->ss);
  g_clear_object (&p->cert);
}

/* A thread's sync handshake of the connection data; returns its error. */
static gpointer
handshake_thread (gpointer data)
{
  GError *error = NULL;

  g_dtls_connection_handshake (G_DTLS_CONNECTION (data), NULL, &error);
  return error;
}

static void
pair_handshake (Pair *p)
{
  g_autoptr(GError) error = NULL;
  GThread *t = g_thread_new ("server", handshake_thread, p->server);
  GError *server_error;

  g_dtls_connection_handshake (G_DTLS_CONNECTION (p->client), NULL, &error);
  g_assert_no_error (error);
  server_error = g_thread_join (t);
  g_assert_no_error (server_error);
}

/* ---- emit_accept_certificate ------------------------------------------------ */

typedef struct
{
  GString *order;
  gboolean dtls_answer;
  gboolean tls_answer;
} Emits;

static gboolean
on_dtls_signal (GDtlsConnection *conn, GTlsCertificate *cert, GTlsCertificateFlags errors, gpointer data)
{
  Emits *e = data;

  g_string_append_printf (e->order, "dtls:%x ", errors);
  return e->dtls_answer;
}

static gboolean
on_tls_signal (GTlsConnection *conn, GTlsCertificate *cert, GTlsCertificateFlags errors, gpointer data)
{
  Emits *e = data;

  g_string_append_printf (e->order, "tls:%x ", errors);
  return e->tls_answer;
}

static void
test_emit_accept_certificate (void)
{
  Pair p = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("localhost", 0);
  g_autoptr(GDatagramBased) client = NULL;
  Emits e = { g_string_new (NULL), FALSE, FALSE };
  guint dtls_signal, tls_signal;

  test_udp_pair (&p.cs, &p.ss);
  p.cert = test_server_certificate ();
  client = g_dtls_client_connection_new (G_DATAGRAM_BASED (p.cs), identity, &error);
  g_assert_no_error (error);
  /* Looked up once the types exist (the connection made them). */
  dtls_signal = g_signal_lookup ("accept-certificate", G_TYPE_DTLS_CONNECTION);
  tls_signal = g_signal_lookup ("accept-certificate", G_TYPE_TLS_CONNECTION);
  g_assert_cmpuint (dtls_signal, !=, 0);
  g_assert_cmpuint (tls_signal, !=, dtls_signal);

  /* No handler: nobody accepts. */
  g_assert_false (g_dtls_connection_emit_accept_certificate (G_DTLS_CONNECTION (client), p.cert,
                                                             G_TLS_CERTIFICATE_EXPIRED));

  g_signal_connect_closure_by_id (client, dtls_signal, 0,
                                  g_cclosure_new (G_CALLBACK (on_dtls_signal), &e, NULL), FALSE);
  g_signal_connect_closure_by_id (client, tls_signal, 0,
                                  g_cclosure_new (G_CALLBACK (on_tls_signal), &e, NULL), FALSE);

  /* The DTLS signal's class handler forwards to GTlsConnection's. */
  g_assert_false (g_dtls_connection_emit_accept_certificate (G_DTLS_CONNECTION (client), p.cert,
                                                             G_TLS_CERTIFICATE_EXPIRED));
  g_assert_cmpstr (e.order->str, ==, "dtls:8 tls:8 ");

  g_string_truncate (e.order, 0);
  e.tls_answer = TRUE;
  g_assert_true (g_dtls_connection_emit_accept_certificate (G_DTLS_CONNECTION (client), p.cert,
                                                            G_TLS_CERTIFICATE_UNKNOWN_CA));
  g_assert_cmpstr (e.order->str, ==, "dtls:1 tls:1 ");

  /* A DTLS handler's TRUE stops the emission before the class handler. */
  g_string_truncate (e.order, 0);
  e.dtls_answer = TRUE;
  e.tls_answer = FALSE;
  g_assert_true (g_dtls_connection_emit_accept_certificate (G_DTLS_CONNECTION (client), p.cert,
                                                            G_TLS_CERTIFICATE_INSECURE));
  g_assert_cmpstr (e.order->str, ==, "dtls:20 ");

  /* GTlsConnection's own emitter reaches only its handlers. */
  g_string_truncate (e.order, 0);
  g_assert_false (g_tls_connection_emit_accept_certificate (G_TLS_CONNECTION (client), p.cert,
                                                            G_TLS_CERTIFICATE_BAD_IDENTITY));
  g_assert_cmpstr (e.order->str, ==, "tls:2 ");

  g_string_free (e.order, TRUE);
  pair_free (&p);
}

/* ---- handlers of a sync handshake run on its caller's thread ---------------- */

static void
test_handler_runs_on_the_sync_callers_thread (void)
{
  Pair p = { 0 };
  GThread *accepted_on = NULL;
  GThread *client_thread, *server_thread;
  GError *client_error, *server_error;

  pair_new (&p, &accepted_on);
  server_thread = g_thread_new ("server", handshake_thread, p.server);
  client_thread = g_thread_new ("client", handshake_thread, p.client);
  client_error = g_thread_join (g_thread_ref (client_thread));
  server_error = g_thread_join (server_thread);
  g_assert_no_error (client_error);
  g_assert_no_error (server_error);
  g_assert_true (accepted_on == client_thread);
  g_thread_unref (client_thread);
  pair_free (&p);
}

/* ---- channel binding ------------------------------------------------------- */

static void
test_channel_binding (void)
{
  Pair p = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) client_data = g_byte_array_new ();
  g_autoptr(GByteArray) server_data = g_byte_array_new ();
  g_autoptr(GByteArray) tls_data = g_byte_array_new ();
  GTlsChannelBindingType types[] = { G_TLS_CHANNEL_BINDING_TLS_UNIQUE,
                                     G_TLS_CHANNEL_BINDING_TLS_SERVER_END_POINT,
                                     G_TLS_CHANNEL_BINDING_TLS_EXPORTER };
  /* tls-unique is a DTLS 1.2 Finished's verify_data. */
  guint lengths[] = { 12, 32, 32 };

  pair_new (&p, NULL);

  /* Before the handshake, with or without data. */
  for (guint i = 0; i < 3; i++)
    {
      g_assert_false (g_dtls_connection_get_channel_binding_data (G_DTLS_CONNECTION (p.client), i,
                                                                  NULL, &error));
      g_assert_error (error, G_TLS_CHANNEL_BINDING_ERROR, G_TLS_CHANNEL_BINDING_ERROR_INVALID_STATE);
      g_clear_error (&error);
    }

  pair_handshake (&p);

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      /* NULL data only checks. */
      g_assert_true (g_dtls_connection_get_channel_binding_data (G_DTLS_CONNECTION (p.client), types[i],
                                                                 NULL, &error));
      g_assert_no_error (error);

      /* What the array held is replaced, not appended to. */
      g_byte_array_set_size (client_data, 0);
      g_byte_array_append (client_data, (const guint8 *) "junk", 4);
      g_assert_true (g_dtls_connection_get_channel_binding_data (G_DTLS_CONNECTION (p.client), types[i],
                                                                 client_data, &error));
      g_assert_no_error (error);
      g_assert_true (g_dtls_connection_get_channel_binding_data (G_DTLS_CONNECTION (p.server), types[i],
                                                                 server_data, &error));
      g_assert_no_error (error);
      g_assert_true (g_tls_connection_get_channel_binding_data (G_TLS_CONNECTION (p.server), types[i],
                                                                tls_data, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (client_data->len, ==, lengths[i]);
      g_assert_cmpmem (client_data->data, client_data->len, server_data->data, server_data->len);
      g_assert_cmpmem (tls_data->data, tls_data->len, server_data->data, server_data->len);
    }

  pair_free (&p);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_util_init ();

  g_test_add_func ("/trust/emit-accept-certificate", test_emit_accept_certificate);
  g_test_add_func ("/trust/handler-on-sync-callers-thread", test_handler_runs_on_the_sync_callers_thread);
  g_test_add_func ("/trust/channel-binding", test_channel_binding);

  return g_test_run ();
}
