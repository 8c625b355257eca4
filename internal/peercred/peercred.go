// Package peercred tells who is at the other end of a local (unix) socket,
// from the kernel (SO_PEERCRED), so both ends of the admin socket can refuse
// a process of another user: a socket file in a folder others can write may
// have been bound by them.
package peercred

import (
	"fmt"
	"net"
	"os"
)

// Trusted reports an error unless the process at the other end of conn runs
// as this process's user or as root.
func Trusted(conn net.Conn) error {
	uid, err := peerUID(conn)
	if err != nil {
		return err
	}
	if uid != uint32(os.Getuid()) && uid != 0 {
		return fmt.Errorf("本地套接字另一端的进程属于其他用户（uid %d），拒绝通信", uid)
	}
	return nil
}
