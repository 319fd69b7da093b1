// Package sockfd hands out a descriptor of a kernel TCP connection's
// socket that outlives the connection, for reading what the kernel
// knows of it (TCP_INFO, SO_MEMINFO) after its user has closed it. It
// has something to hand out on Linux only.
package sockfd
