// Package socket moves datagrams between a connection and its base socket:
// the BaseSocket interface, Go's net package, and on Linux raw batch I/O
// (sendmmsg, recvmmsg, one shared epoll reader). It knows no record format.
package socket
