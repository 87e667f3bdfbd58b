/* dtls-bench: measures a GIO DTLS backend through the public GIO API only.
 * The backend is whatever GIO picks from the environment (GIO_MODULE_DIR,
 * GIO_USE_TLS); --raw runs the same traffic over plain GSocket UDP.
 *
 *   dtls-bench handshake  --ca CA --cert CERT [-n N]
 *   dtls-bench throughput --ca CA --cert CERT [-n DATAGRAMS] [--size B] [--window W] [--batch K] [--raw]
 *   dtls-bench rtt        --ca CA --cert CERT [-n ROUNDS] [--size B] [--raw]
 *   dtls-bench idle       --ca CA --cert CERT [-n PAIRS]
 *
 * Client and server live in this process (two threads over a loopback UDP
 * pair), so CPU figures are both sides'. Each run prints one JSON line. */

#include "bench-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static gchar *opt_label;
static gint opt_n = 0, opt_size = 0, opt_window = 256, opt_batch = 32, opt_rcvbuf = 4 << 20;
static gboolean opt_raw;

static GOptionEntry entries[] = {
  { "count", 'n', 0, G_OPTION_ARG_INT, &opt_n, "Handshakes, datagrams, round trips or idle pairs", "N" },
  { "size", 0, 0, G_OPTION_ARG_INT, &opt_size, "Datagram payload size (default 1200; 64 for rtt)", "BYTES" },
  { "window", 0, 0, G_OPTION_ARG_INT, &opt_window, "Datagrams in flight at most (default 256)", "N" },
  { "batch", 0, 0, G_OPTION_ARG_INT, &opt_batch, "Messages per send/receive call (default 32)", "N" },
  { "rcvbuf", 0, 0, G_OPTION_ARG_INT, &opt_rcvbuf, "SO_RCVBUF and SO_SNDBUF to ask for (default 4 MiB; the kernel caps it at net.core.rmem_max)", "BYTES" },
  { "raw", 0, 0, G_OPTION_ARG_NONE, &opt_raw, "Plain GSocket UDP, no DTLS", NULL },
  { "label", 0, 0, G_OPTION_ARG_STRING, &opt_label, "Backend name to report", "NAME" },
  { NULL }
};

/* ---- Sockets and connections ---------------------------------------------- */

static GSocket *
udp_socket (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                             G_SOCKET_PROTOCOL_UDP, &error);

  if (s == NULL || !g_socket_bind (s, any, FALSE, &error))
    die ("UDP socket", error);
  /* Room for a full window of datagrams in the kernel (capped by rmem_max). */
  g_socket_set_option (s, SOL_SOCKET, SO_RCVBUF, opt_rcvbuf, NULL);
  g_socket_set_option (s, SOL_SOCKET, SO_SNDBUF, opt_rcvbuf, NULL);
  return s;
}

static void
udp_pair (GSocket **a, GSocket **b)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) aa = NULL, ba = NULL;

  *a = udp_socket ();
  *b = udp_socket ();
  aa = g_socket_get_local_address (*a, &error);
  ba = g_socket_get_local_address (*b, &error);
  if (aa == NULL || ba == NULL ||
      !g_socket_connect (*a, ba, NULL, &error) || !g_socket_connect (*b, aa, NULL, &error))
    die ("connecting the UDP pair", error);
}

/* One side of a connection under test: the datagram object to send and
 * receive on (a DTLS connection, or the socket itself when raw). */
typedef struct
{
  GSocket *socket;
  GDatagramBased *dgram;
} Side;

typedef struct
{
  Side client, server;
} Pair;

/* The client trusts the CA and checks the name "localhost"; the server
 * presents the CA-signed certificate. */
static void
side_new (Side *side, GSocket *socket, gboolean client)
{
  g_autoptr(GError) error = NULL;

  side->socket = socket;
  if (opt_raw)
    {
      side->dgram = G_DATAGRAM_BASED (g_object_ref (socket));
      return;
    }
  if (client)
    {
      g_autoptr(GSocketConnectable) identity = g_network_address_new ("localhost", 4433);

      side->dgram = g_dtls_client_connection_new (G_DATAGRAM_BASED (socket), identity, &error);
      if (side->dgram)
        g_dtls_connection_set_database (G_DTLS_CONNECTION (side->dgram), ca_database);
    }
  else
    side->dgram = g_dtls_server_connection_new (G_DATAGRAM_BASED (socket), server_certificate, &error);
  if (side->dgram == NULL)
    die ("a DTLS connection", error);
}

static gpointer
server_handshake_thread (gpointer data)
{
  GError *error = NULL;

  if (!g_dtls_connection_handshake (G_DTLS_CONNECTION (data), NULL, &error))
    return error;
  return NULL;
}

/* A fresh socket pair and, unless raw, a completed CA-verified handshake:
 * the server on a thread of its own, the client on this one. */
static void
pair_open (Pair *pair)
{
  GSocket *a, *b;
  GThread *server;
  GError *error = NULL, *server_error;

  udp_pair (&a, &b);
  side_new (&pair->client, a, TRUE);
  side_new (&pair->server, b, FALSE);
  if (opt_raw)
    return;
  server = g_thread_new ("server-handshake", server_handshake_thread, pair->server.dgram);
  if (!g_dtls_connection_handshake (G_DTLS_CONNECTION (pair->client.dgram), NULL, &error))
    die ("client handshake", error);
  server_error = g_thread_join (server);
  if (server_error)
    die ("server handshake", server_error);
}

static void
side_close (Side *side)
{
  if (!opt_raw)
    g_dtls_connection_close (G_DTLS_CONNECTION (side->dgram), NULL, NULL);
  g_clear_object (&side->dgram);
  g_socket_close (side->socket, NULL);
  g_clear_object (&side->socket);
}

static void
pair_close (Pair *pair)
{
  side_close (&pair->client);
  side_close (&pair->server);
}

/* ---- Modes ---------------------------------------------------------------- */

static void
run_handshake (void)
{
  guint n = opt_n > 0 ? opt_n : 200, i;
  g_autofree gint64 *wall = g_new (gint64, n);
  gdouble cpu0, cpu;
  gint64 total0;

  load_pki ();
  /* One untimed handshake loads what a process loads once. */
  {
    Pair warm;
    pair_open (&warm);
    pair_close (&warm);
  }
  cpu0 = cpu_seconds ();
  total0 = g_get_monotonic_time ();
  for (i = 0; i < n; i++)
    {
      Pair pair;
      gint64 t0 = g_get_monotonic_time ();

      pair_open (&pair);
      wall[i] = g_get_monotonic_time () - t0;
      pair_close (&pair);
    }
  cpu = cpu_seconds () - cpu0;
  qsort (wall, n, sizeof *wall, cmp_gint64);
  printf ("{\"mode\":\"handshake\",\"backend\":\"%s\",\"count\":%u,"
          "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"cpu_ms_per_handshake\":%.3f,"
          "\"total_s\":%.3f,\"peak_rss_kib\":%ld}\n",
          backend_name (opt_label, opt_raw), n, percentile (wall, n, 50) / 1e3, percentile (wall, n, 99) / 1e3,
          cpu * 1e3 / n, (g_get_monotonic_time () - total0) / 1e6, peak_rss_kib ());
}

/* Flow control of the throughput mode: the sender keeps at most `window`
 * datagrams beyond what the receiver has taken, so no buffer on the way
 * can overflow and loss cannot inflate the rate. A stall (nothing received
 * for `stall_us`) writes the outstanding datagrams off as lost. */
typedef struct
{
  GMutex lock;
  GCond cond;
  guint64 received; /* by the receiver */
  guint64 lost;     /* written off by the sender */
  guint64 total;
  gboolean sender_done;
  Side *side;
  gint64 end_time;
} Flow;

static const gint64 stall_us = 200000;

/* The most datagrams of opt_size the receiving socket's buffer holds. The
 * kernel charges each queued datagram its buffer's true size (payload,
 * record overhead, headers and allocation slack: about twice a 1200-byte
 * payload), and grants at most twice net.core.rmem_max whatever SO_RCVBUF
 * asked for, so a window sized for a raised limit loses datagrams on a
 * machine with Debian's default (212992). */
static guint
window_that_fits (GSocket *receiver)
{
  gint rcvbuf = 0;
  guint per_datagram = 2 * (opt_size + 128) + 512;

  if (!g_socket_get_option (receiver, SOL_SOCKET, SO_RCVBUF, &rcvbuf, NULL) || rcvbuf <= 0)
    return opt_window;
  return CLAMP ((guint) rcvbuf / per_datagram, 1, (guint) opt_window);
}

static gpointer
receiver_thread (gpointer data)
{
  Flow *flow = data;
  guint batch = opt_batch;
  g_autofree GInputMessage *msgs = g_new0 (GInputMessage, batch);
  g_autofree GInputVector *vecs = g_new0 (GInputVector, batch);
  g_autofree guint8 *bufs = g_malloc (batch * 65536);
  guint i;

  for (i = 0; i < batch; i++)
    {
      vecs[i].buffer = bufs + i * 65536;
      vecs[i].size = 65536;
      msgs[i].vectors = &vecs[i];
      msgs[i].num_vectors = 1;
    }
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gint got = g_datagram_based_receive_messages (flow->side->dgram, msgs, batch, 0,
                                                    stall_us, NULL, &error);
      gboolean done;

      if (got < 0 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        die ("receive_messages", error);
      g_mutex_lock (&flow->lock);
      if (got > 0)
        {
          for (i = 0; i < (guint) got; i++)
            if (msgs[i].bytes_received != (gsize) opt_size)
              die ("a datagram of the wrong size arrived", NULL);
          flow->received += got;
          g_cond_signal (&flow->cond);
        }
      done = flow->received + flow->lost >= flow->total ||
             (got < 0 && flow->sender_done);
      if (done)
        flow->end_time = g_get_monotonic_time ();
      g_mutex_unlock (&flow->lock);
      if (done)
        return NULL;
    }
}

static void
run_throughput (void)
{
  guint64 total = opt_n > 0 ? opt_n : 200000, sent = 0;
  guint batch = opt_batch, window, i;
  g_autofree GOutputMessage *msgs = g_new0 (GOutputMessage, batch);
  g_autofree GOutputVector *vecs = g_new0 (GOutputVector, batch);
  g_autofree guint8 *payload = g_malloc (opt_size);
  Flow flow = { 0 };
  Pair pair;
  GThread *receiver;
  gdouble cpu0, cpu, secs, mb;
  gint64 t0;

  if (!opt_raw)
    load_pki ();
  memset (payload, 0xa5, opt_size);
  for (i = 0; i < batch; i++)
    {
      vecs[i].buffer = payload;
      vecs[i].size = opt_size;
      msgs[i].vectors = &vecs[i];
      msgs[i].num_vectors = 1;
    }
  pair_open (&pair);
  window = window_that_fits (pair.server.socket);
  batch = MIN (batch, window);
  g_mutex_init (&flow.lock);
  g_cond_init (&flow.cond);
  flow.total = total;
  flow.side = &pair.server;

  cpu0 = cpu_seconds ();
  t0 = g_get_monotonic_time ();
  receiver = g_thread_new ("receiver", receiver_thread, &flow);
  while (sent < total)
    {
      g_autoptr(GError) error = NULL;
      guint64 room;
      gint n;

      g_mutex_lock (&flow.lock);
      while (sent - flow.received - flow.lost >= window)
        {
          guint64 before = flow.received;
          if (!g_cond_wait_until (&flow.cond, &flow.lock, g_get_monotonic_time () + stall_us) &&
              flow.received == before)
            flow.lost = sent - flow.received; /* nothing came: write the window off */
        }
      room = window - (sent - flow.received - flow.lost);
      g_mutex_unlock (&flow.lock);

      room = MIN (room, MIN ((guint64) batch, total - sent));
      n = g_datagram_based_send_messages (pair.client.dgram, msgs, room, 0, -1, NULL, &error);
      if (n < 0)
        die ("send_messages", error);
      sent += n;
    }
  g_mutex_lock (&flow.lock);
  flow.sender_done = TRUE;
  g_mutex_unlock (&flow.lock);
  g_thread_join (receiver);
  cpu = cpu_seconds () - cpu0;
  secs = (flow.end_time - t0) / 1e6;
  mb = flow.received * (gdouble) opt_size / 1e6;

  printf ("{\"mode\":\"throughput\",\"backend\":\"%s\",\"size\":%d,\"sent\":%" G_GUINT64_FORMAT
          ",\"received\":%" G_GUINT64_FORMAT ",\"loss\":%" G_GUINT64_FORMAT
          ",\"window\":%u,\"batch\":%u,\"seconds\":%.3f,\"mb_per_s\":%.1f,\"datagrams_per_s\":%.0f,"
          "\"cpu_s_per_mb\":%.5f,\"peak_rss_kib\":%ld}\n",
          backend_name (opt_label, opt_raw), opt_size, sent, flow.received, total - flow.received,
          window, batch, secs, mb / secs, flow.received / secs, cpu / mb, peak_rss_kib ());
  pair_close (&pair);
}

typedef struct
{
  Side *side;
  guint rounds;
} Echo;

static gpointer
echo_thread (gpointer data)
{
  Echo *echo = data;
  guint8 buf[65536];
  GInputVector iv = { buf, sizeof buf };
  guint i;

  for (i = 0; i < echo->rounds; i++)
    {
      GError *error = NULL;
      GInputMessage in = { .vectors = &iv, .num_vectors = 1 };
      GOutputVector ov;
      GOutputMessage out = { .vectors = &ov, .num_vectors = 1 };

      if (g_datagram_based_receive_messages (echo->side->dgram, &in, 1, 0, 5 * G_USEC_PER_SEC,
                                             NULL, &error) != 1)
        die ("echo receive", error);
      ov.buffer = buf;
      ov.size = in.bytes_received;
      if (g_datagram_based_send_messages (echo->side->dgram, &out, 1, 0, -1, NULL, &error) != 1)
        die ("echo send", error);
    }
  return NULL;
}

static void
run_rtt (void)
{
  guint rounds = opt_n > 0 ? opt_n : 20000, warm = MIN (rounds / 10 + 1, 1000), i;
  g_autofree gint64 *rtt = g_new (gint64, rounds);
  g_autofree guint8 *payload = g_malloc0 (opt_size);
  guint8 buf[65536];
  Echo echo;
  Pair pair;
  GThread *echoer;
  gdouble cpu0 = 0, cpu;

  if (!opt_raw)
    load_pki ();
  pair_open (&pair);
  echo.side = &pair.server;
  echo.rounds = warm + rounds;
  echoer = g_thread_new ("echo", echo_thread, &echo);
  for (i = 0; i < warm + rounds; i++)
    {
      GError *error = NULL;
      GOutputVector ov = { payload, opt_size };
      GOutputMessage out = { .vectors = &ov, .num_vectors = 1 };
      GInputVector iv = { buf, sizeof buf };
      GInputMessage in = { .vectors = &iv, .num_vectors = 1 };
      gint64 t0;

      if (i == warm)
        cpu0 = cpu_seconds ();
      t0 = g_get_monotonic_time ();
      if (g_datagram_based_send_messages (pair.client.dgram, &out, 1, 0, -1, NULL, &error) != 1)
        die ("ping send", error);
      if (g_datagram_based_receive_messages (pair.client.dgram, &in, 1, 0, 5 * G_USEC_PER_SEC,
                                             NULL, &error) != 1)
        die ("ping receive", error);
      if (in.bytes_received != (gsize) opt_size)
        die ("the echo has the wrong size", NULL);
      if (i >= warm)
        rtt[i - warm] = g_get_monotonic_time () - t0;
    }
  cpu = cpu_seconds () - cpu0;
  g_thread_join (echoer);
  qsort (rtt, rounds, sizeof *rtt, cmp_gint64);
  printf ("{\"mode\":\"rtt\",\"backend\":\"%s\",\"size\":%d,\"rounds\":%u,"
          "\"p50_us\":%" G_GINT64_FORMAT ",\"p99_us\":%" G_GINT64_FORMAT
          ",\"cpu_us_per_round\":%.2f,\"peak_rss_kib\":%ld}\n",
          backend_name (opt_label, opt_raw), opt_size, rounds, percentile (rtt, rounds, 50),
          percentile (rtt, rounds, 99), cpu * 1e6 / rounds, peak_rss_kib ());
  pair_close (&pair);
}

static void
warm_pair (gpointer data)
{
  Pair warm;

  pair_open (&warm);
  pair_close (&warm);
}

static void
open_kept_pair (guint i, gpointer data)
{
  pair_open (&((Pair *) data)[i]);
}

/* Resident memory of idle, handshaken connections: N pairs are opened and
 * kept; the growth of RSS is divided by the 2N connections. */
static void
run_idle (void)
{
  guint n = opt_n > 0 ? opt_n : 500, i;
  g_autofree Pair *pairs = g_new0 (Pair, n);
  IdleCost cost;

  load_pki ();
  measure_idle (n, warm_pair, open_kept_pair, pairs, &cost);
  print_idle ("idle", backend_name (opt_label, opt_raw), 2 * n, &cost);
  for (i = 0; i < n; i++)
    pair_close (&pairs[i]);
}

int
main (int argc, char **argv)
{
  const gchar *mode = parse_mode (argc, argv, entries, "handshake, throughput, rtt or idle");

  if (opt_size == 0)
    opt_size = g_str_equal (mode, "rtt") ? 64 : 1200;
  if (opt_size < 1 || opt_size > 8000 || opt_batch < 1 || opt_window < opt_batch)
    die ("need 1 <= --size <= 8000 and 1 <= --batch <= --window", NULL);
  /* No supports_dtls() check: glib-networking's GnuTLS backend serves DTLS
   * connections without claiming it. */

  if (g_str_equal (mode, "handshake") && !opt_raw)
    run_handshake ();
  else if (g_str_equal (mode, "throughput"))
    run_throughput ();
  else if (g_str_equal (mode, "rtt"))
    run_rtt ();
  else if (g_str_equal (mode, "idle") && !opt_raw)
    run_idle ();
  else
    die ("unknown MODE (or not with --raw)", NULL);
  return 0;
}
