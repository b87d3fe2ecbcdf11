package main

import (
	"context"
	"flag"
	"fmt"
	"net"

	"github.com/qualbridge/qualbridge/generator/devserver"
)

// runServe builds the site for preview, serves it on localhost from
// memory and rebuilds on change until interrupted; each good build is
// also written to -out, after it is served.
func runServe(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	src := fs.String("src", ".", "repository root holding catalog/ and content/")
	out := fs.String("out", "public", "output directory: each good build is written here after it is served")
	addr := fs.String("addr", "127.0.0.1:1313", "address to listen on")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: qualbridge serve [-src dir] [-out dir] [-addr host:port]")
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
		c.errorf("%v", err)
		c.hintf("another server may be using the port: try -addr 127.0.0.1:0")
		return errReported
	}
	url := "http://" + ln.Addr().String() + "/"
	s := devserver.New(devserver.Config{
		Src:     *src,
		Out:     *out,
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
