package verifier_test

import "net"

func netDial(addr string) (net.Conn, error) { return net.Dial("tcp", addr) }
