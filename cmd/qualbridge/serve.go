package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"syscall"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/generator/devserver"
)

// runServe builds the site for preview, serves it on localhost from
// memory and rebuilds on change until interrupted. It writes nothing to
// disk: a preview links to the local server and loads the live-reload
// script, so it must never be what public/ holds (only build writes
// there).
func runServe(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	src := fs.String("src", ".", "repository root holding catalog/ and content/")
	addr := fs.String("addr", "127.0.0.1:1313", "address to listen on")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: qualbridge serve [-src dir] [-addr host:port]")
		fmt.Fprintln(c.stderr, "\npreviews the site from memory, rebuilding on every change; writes nothing to disk")
		fmt.Fprintln(c.stderr, "(public/ is written only by qualbridge build)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		c.errorf("serve takes no arguments")
		fs.Usage()
		return errUsage
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		why := "地址无效"
		if errors.Is(err, syscall.EADDRINUSE) {
			why = "端口已被占用"
		}
		c.print(diag.List{{Pos: diag.Pos{File: *addr}, Severity: diag.Error,
			Message: "无法在这个地址上提供预览：" + why,
			Hint:    "另一个程序可能正在使用这个端口：换一个，例如 -addr 127.0.0.1:0"}})
		return errReported
	}
	url := "http://" + ln.Addr().String() + "/"
	s := devserver.New(devserver.Config{
		Src:     *src,
		BaseURL: url,
		Logf:    func(format string, args ...any) { c.errorf(format, args...) },
	})
	fmt.Fprintf(c.stdout, "serving %s (press Ctrl-C to stop)\n", url)
	if err := s.Serve(ctx, ln); err != nil {
		c.errorf("%v", err)
		return errReported
	}
	return nil
}
