/* Encrypted Client Hello (RFC 9849) on stream TLS, in the DtlsGo
 * namespace: a client's ECHConfigList, a server's keys, the handshake's
 * verdict, and new keys for a server. The handshake itself is Go's
 * crypto/tls (export/streamextras.go). */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-connection.h"
#include "dtlsgo-copies.h"

/**
 * dtls_go_client_connection_set_ech_config_list:
 * @self: a #DtlsGoClientConnection
 * @config_list: (nullable): an ECHConfigList, or %NULL for no ECH
 *
 * Sets [property@DtlsGo.ClientConnection:ech-config-list], before the
 * handshake.
 *
 * ```python
 * import base64
 * # The "ech" parameter of the server's DNS HTTPS record
 * client.set_ech_config_list(GLib.Bytes.new(base64.b64decode(ech_param)))
 * ```
 */
void
dtls_go_client_connection_set_ech_config_list (DtlsGoClientConnection *self,
                                               GBytes                 *config_list)
{
  DTLSGO_FORWARD_VOID (dtls_go_client_connection_set_ech_config_list, (self, config_list));
  g_return_if_fail (DTLS_GO_IS_CLIENT_CONNECTION (self));

  g_object_set (self, "ech-config-list", config_list, NULL);
}

/**
 * dtls_go_server_connection_set_ech_keys:
 * @self: a #DtlsGoServerConnection
 * @keys: (nullable): ECH keys as PEM, or %NULL for none
 *
 * Sets [property@DtlsGo.ServerConnection:ech-keys], before the handshake.
 *
 * ```python
 * with open("/etc/my-service/ech.pem", "rb") as f:
 *     server.set_ech_keys(GLib.Bytes.new(f.read()))
 * ```
 */
void
dtls_go_server_connection_set_ech_keys (DtlsGoServerConnection *self,
                                        GBytes                 *keys)
{
  DTLSGO_FORWARD_VOID (dtls_go_server_connection_set_ech_keys, (self, keys));
  g_return_if_fail (DTLS_GO_IS_SERVER_CONNECTION (self));

  g_object_set (self, "ech-keys", keys, NULL);
}

/**
 * dtls_go_connection_get_ech_accepted:
 * @self: a #DtlsGoConnection
 *
 * Gets [property@DtlsGo.Connection:ech-accepted].
 *
 * Returns: %TRUE when the completed handshake used Encrypted Client Hello
 */
gboolean
dtls_go_connection_get_ech_accepted (DtlsGoConnection *self)
{
  DTLSGO_FORWARD (dtls_go_connection_get_ech_accepted, (self));
  gboolean accepted = FALSE;

  g_return_val_if_fail (DTLS_GO_IS_CONNECTION (self), FALSE);

  g_object_get (self, "ech-accepted", &accepted, NULL);
  return accepted;
}

/**
 * dtls_go_generate_ech_keys:
 * @public_name: the DNS name clients put in their unencrypted outer
 *   ClientHello, e.g. the name of the host or provider that serves many
 *   names; not an IP address
 * @config_list: (out) (transfer full): the ECHConfigList to give clients
 *   ([property@DtlsGo.ClientConnection:ech-config-list]; base64 of it is
 *   the `ech` parameter of a DNS HTTPS record)
 * @error: return location for a #GError
 *
 * Makes a new Encrypted Client Hello key: an X25519 key (HPKE
 * DHKEM(X25519, HKDF-SHA256), with AES-128-GCM or ChaCha20-Poly1305) and
 * its config for @public_name. The returned PEM data (a `PRIVATE KEY` and
 * an `ECHCONFIG` block) is what
 * [property@DtlsGo.ServerConnection:ech-keys] takes; keep it as secret as
 * a certificate's private key. A @public_name that is not a DNS name fails
 * with %G_IO_ERROR_INVALID_ARGUMENT.
 *
 * ```python
 * keys, config_list = DtlsGo.generate_ech_keys("public.example.com")
 * server.set_ech_keys(keys)
 * client.set_ech_config_list(config_list)
 * ```
 *
 * Returns: (transfer full): the server's ECH keys as PEM, or %NULL on error
 */
GBytes *
dtls_go_generate_ech_keys (const gchar  *public_name,
                           GBytes      **config_list,
                           GError      **error)
{
  DTLSGO_FORWARD (dtls_go_generate_ech_keys, (public_name, config_list, error));
  g_return_val_if_fail (public_name != NULL, NULL);
  g_return_val_if_fail (config_list != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return dtlsgo_core_generate_ech_keys (public_name, config_list, error);
}
