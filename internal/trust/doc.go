// Package trust is dtlsgo's trust store: certificates, private keys
// (encrypted ones too), PKCS #12, distinguished names, file and system
// databases and chain verification with its cache. It knows neither pion
// nor connections.
package trust
