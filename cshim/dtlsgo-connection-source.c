/* DtlsGoConnection's readiness sources. A source is made, polled and
 * dispatched on GLib threads; dtlsgo_shim_connection_changed is entered
 * from Go threads whenever the core's readiness may have changed. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-connection-private.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* A source for the connection's own readiness: the core signals changes
 * through an eventfd per source, and check() asks the core again. The
 * source calls back only when a watched condition holds (or its
 * cancellable fired), with that condition: an application that reads once
 * per wake-up and gives up on WOULD_BLOCK (Frida does) must never be woken
 * for nothing. */
typedef struct
{
  GSource source;
  DtlsGoConnection *conn;
  GIOCondition condition;
  GCancellable *cancellable;
  /* Added with g_source_add_poll, not g_source_add_unix_fd: GLib
   * dispatches a source whose unix fd polled ready even when check()
   * said no, and the eventfd often holds a signal for records that
   * prepare() already saw and the callback already took. */
  GPollFD wakeup;
} ConnectionSource;

static gboolean
connection_source_prepare (GSource *source, gint *timeout)
{
  ConnectionSource *cs = (ConnectionSource *) source;

  *timeout = -1;
  return dtlsgo_core_connection_condition (PRIV (cs->conn)->core, cs->condition) != 0;
}

static gboolean
connection_source_check (GSource *source)
{
  ConnectionSource *cs = (ConnectionSource *) source;

  /* Drain before asking: a change after this will signal again. */
  if (cs->wakeup.revents & G_IO_IN)
    {
      guint64 count;
      while (read (cs->wakeup.fd, &count, sizeof count) < 0 && errno == EINTR)
        ;
    }
  return dtlsgo_core_connection_condition (PRIV (cs->conn)->core, cs->condition) != 0;
}

static gboolean
connection_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  ConnectionSource *cs = (ConnectionSource *) source;
  GDatagramBasedSourceFunc func = (GDatagramBasedSourceFunc) callback;
  GIOCondition ready = dtlsgo_core_connection_condition (PRIV (cs->conn)->core, cs->condition);

  if (func == NULL)
    {
      g_warning ("DTLS connection source dispatched without callback. "
                 "You must call g_source_set_callback().");
      return G_SOURCE_REMOVE;
    }
  /* Another source's callback may have taken the records meanwhile. */
  if (ready == 0 && !g_cancellable_is_cancelled (cs->cancellable))
    return G_SOURCE_CONTINUE;
  return func (G_DATAGRAM_BASED (cs->conn), ready, user_data);
}

static void
connection_source_finalize (GSource *source)
{
  ConnectionSource *cs = (ConnectionSource *) source;
  DtlsGoConnectionPrivate *priv = PRIV (cs->conn);
  guint i;

  g_mutex_lock (&priv->lock);
  for (i = 0; i < priv->wakeups->len; i++)
    if (g_array_index (priv->wakeups, int, i) == cs->wakeup.fd)
      {
        g_array_remove_index_fast (priv->wakeups, i);
        break;
      }
  g_mutex_unlock (&priv->lock);
  if (priv->core)
    dtlsgo_core_connection_watch (priv->core, FALSE);
  close (cs->wakeup.fd);
  g_clear_object (&cs->cancellable);
  g_object_unref (cs->conn);
}

gboolean
dtlsgo_datagram_source_closure_callback (GDatagramBased *datagram_based,
                                         GIOCondition    condition,
                                         gpointer        data)
{
  GClosure *closure = data;
  GValue params[2] = { G_VALUE_INIT, G_VALUE_INIT };
  GValue result_value = G_VALUE_INIT;
  gboolean result;

  g_value_init (&result_value, G_TYPE_BOOLEAN);
  g_value_init (&params[0], G_TYPE_DATAGRAM_BASED);
  g_value_set_object (&params[0], datagram_based);
  g_value_init (&params[1], G_TYPE_IO_CONDITION);
  g_value_set_flags (&params[1], condition);
  g_closure_invoke (closure, &result_value, 2, params, NULL);
  result = g_value_get_boolean (&result_value);
  g_value_unset (&result_value);
  g_value_unset (&params[0]);
  g_value_unset (&params[1]);
  return result;
}

static GSourceFuncs connection_source_funcs = {
  connection_source_prepare,
  connection_source_check,
  connection_source_dispatch,
  connection_source_finalize,
  (GSourceFunc) dtlsgo_datagram_source_closure_callback,
  NULL,
};

GSource *
dtlsgo_connection_create_source (GDatagramBased *datagram_based,
                                 GIOCondition    condition,
                                 GCancellable   *cancellable)
{
  DtlsGoConnection *self = DTLS_GO_CONNECTION (datagram_based);
  DtlsGoConnectionPrivate *priv = PRIV (self);
  GSource *source = g_source_new (&connection_source_funcs, sizeof (ConnectionSource));
  ConnectionSource *cs = (ConnectionSource *) source;

  g_source_set_static_name (source, "[dtlsgo] DTLS connection source");
  cs->conn = g_object_ref (self);
  cs->condition = condition;
  cs->wakeup.fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (cs->wakeup.fd < 0)
    g_error ("dtlsgo: eventfd failed: %s", g_strerror (errno));
  cs->wakeup.events = G_IO_IN;
  g_source_add_poll (source, &cs->wakeup);
  g_mutex_lock (&priv->lock);
  g_array_append_val (priv->wakeups, cs->wakeup.fd);
  g_mutex_unlock (&priv->lock);
  /* While it lives, what arrives is read at once, not once the socket
   * stayed quiet for a while (the readiness it waits for follows). */
  if (priv->core)
    dtlsgo_core_connection_watch (priv->core, TRUE);

  if (cancellable)
    {
      g_autoptr(GSource) cancellable_source = g_cancellable_source_new (cancellable);

      cs->cancellable = g_object_ref (cancellable);
      g_source_set_dummy_callback (cancellable_source);
      g_source_add_child_source (source, cancellable_source);
    }
  return source;
}

void
dtlsgo_shim_connection_changed (gpointer connection)
{
  DtlsGoConnectionPrivate *priv = PRIV (connection);
  const guint64 one = 1;
  guint i;

  g_mutex_lock (&priv->lock);
  for (i = 0; i < priv->wakeups->len; i++)
    {
      int fd = g_array_index (priv->wakeups, int, i);
      while (write (fd, &one, sizeof one) < 0 && errno == EINTR)
        ;
    }
  g_mutex_unlock (&priv->lock);
}
