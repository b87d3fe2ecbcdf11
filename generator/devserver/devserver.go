// Package devserver is the editors' preview: it builds the site, serves it
// on localhost, rebuilds when a file under catalog/, content/ or templates/
// changes, and reloads the open pages.
//
// # Memory only
//
// A rebuild renders the site into memory (generator.Options.Write) and
// serves it from there: on this machine's ext4 disk, creating the shipped
// site's ~400 files and directories costs more than rendering them. The
// new site replaces the old in one atomic swap, and the reload event goes
// out right after it. Nothing is written to disk: a preview carries the
// live-reload script and the server's own http://127.0.0.1:… address in
// every canonical link, hreflang and sitemap entry, so it must never end
// up where a deployment build goes. public/ is written by
// `qualbridge build` alone. The zh-Hant converter of each build is kept
// for the next (generator.Options.Converter).
//
// # Reloading
//
// Pages built for the dev server load /__dev/reload.js, which listens to
// /__dev/events (Server-Sent Events). Every event carries the current
// build id and the errors of the last build; the script reloads the page
// when the build id is not the one it was served with, and shows the
// errors over the page when the last build failed.
//
// # Failed builds
//
// A failed rebuild leaves the last good site in memory and served, and
// its `path:line:col`
// errors are shown in every open page, listed at /__dev/errors, and
// served in place of any page that the last good site does not have (or
// of every page when no build has succeeded yet). The next good build
// clears them.
package devserver

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/generator"
	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/generator/hant"
)

// Config configures a [Server].
type Config struct {
	Src       string       // repository root
	BuildDate catalog.Date // passed to generator.Build; zero: its default
	BaseURL   string       // passed to generator.Build, e.g. "http://127.0.0.1:1313/"
	// Debounce is how long the watcher waits after the last change
	// before rebuilding, so that an editor's save (often several writes)
	// gives one build. Zero means 50 ms: with a ~60 ms in-memory
	// rebuild, save to reload stays under 150 ms.
	Debounce time.Duration
	// Logf logs builds and their durations; nil discards.
	Logf func(format string, args ...any)
}

// Server builds, watches and serves one site.
type Server struct {
	cfg   Config
	start int64 // start time, part of build ids so a restarted server reloads pages

	site atomic.Pointer[site]           // last good build, served; nil before the first
	conv atomic.Pointer[hant.Converter] // of the last build, for the next

	mu      sync.Mutex
	st      state
	changed chan struct{} // closed and replaced when st changes
	builds  sync.Mutex    // one build at a time

	errorTmpl *template.Template
}

// site is a whole built site in memory.
type site struct {
	files map[string][]byte // by slash-separated path from the root, "zh-hans/index.html"
}

// state is what the reload script learns from each event.
type state struct {
	Build  string   `json:"build"`  // id of the site being served; "" before the first good build
	Errors []string `json:"errors"` // of the last build, one diagnostic each ("path:line:col: error: …")
	n      int      // good builds so far
}

// New returns a server; [Server.Serve] builds and serves.
func New(cfg Config) *Server {
	if cfg.Debounce == 0 {
		cfg.Debounce = 50 * time.Millisecond
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return &Server{
		cfg:       cfg,
		start:     time.Now().UnixNano(),
		changed:   make(chan struct{}),
		st:        state{Errors: []string{}},
		errorTmpl: template.Must(template.New("errors").Parse(errorPage)),
	}
}

// Serve builds the site, then serves it on ln and rebuilds on change
// until ctx is done. A failed first build does not stop it: the errors
// are served until the editor fixes them.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	w, err := s.watch()
	if err != nil {
		return err
	}
	defer w.Close()
	s.Rebuild(ctx)

	srv := &http.Server{Handler: s.Handler(ctx), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	looped := make(chan struct{})
	go func() {
		defer close(looped)
		s.loop(ctx, w)
	}()
	// Return only when no build is running any more.
	defer func() {
		stop()
		<-looped
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}

// Rebuild builds the site into memory now, serves it if the build
// succeeded, and publishes the outcome to open pages.
func (s *Server) Rebuild(ctx context.Context) {
	s.builds.Lock()
	defer s.builds.Unlock()
	start := time.Now()
	var (
		filesMu sync.Mutex
		files   = make(map[string][]byte, s.size())
	)
	write := func(name string, data []byte) error {
		b := bytes.Clone(data) // data is the generator's, only for the call
		filesMu.Lock()
		files[name] = b
		filesMu.Unlock()
		return nil
	}
	res, ds, err := s.build(ctx, write)
	took := time.Since(start)
	if ctx.Err() != nil {
		return // shutting down: nothing to show
	}
	if res != nil && res.Converter != nil {
		s.conv.Store(res.Converter)
	}
	errs := []string{}
	if err != nil {
		errs = buildErrors(err)
		s.cfg.Logf("build failed in %v; still serving the last good site", took.Round(time.Millisecond))
		for _, e := range errs {
			s.cfg.Logf("%s", e)
		}
	} else {
		// Served from the next request on; the event below reloads the
		// open pages.
		s.site.Store(&site{files: files})
		for _, d := range ds {
			s.cfg.Logf("%s", d)
		}
		s.cfg.Logf("built %d pages in %v", res.Pages, took.Round(time.Millisecond))
	}
	s.mu.Lock()
	if err == nil {
		s.st.n++
		s.st.Build = fmt.Sprintf("%x-%d", s.start, s.st.n)
	}
	s.st.Errors = errs
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// build loads and checks the catalog, then renders the site into write:
// a catalog with errors fails as a [generator.BuildError] of them.
func (s *Server) build(ctx context.Context, write func(string, []byte) error) (*generator.Result, diag.List, error) {
	date := s.cfg.BuildDate
	if date.IsZero() {
		date = catalog.DateOf(time.Now())
	}
	site := os.DirFS(s.cfg.Src)
	cat, ds := catalog.Load(site, catalog.Options{BuildDate: date})
	if ds.Err() != nil {
		return nil, ds, &generator.BuildError{Diagnostics: ds}
	}
	res, err := generator.Build(ctx, cat, site, generator.Options{
		Write: write, BuildDate: s.cfg.BuildDate, BaseURL: s.cfg.BaseURL, Dev: true,
		Converter: s.conv.Load(), Clock: time.Now,
	})
	return res, ds, err
}

// size is the number of files of the served site, to size the next.
func (s *Server) size() int {
	if st := s.site.Load(); st != nil {
		return len(st.files)
	}
	return 0
}

// buildErrors returns the errors of a failed build, one line each, as
// the commands print them: what only follows from a file that did not
// parse is held back and counted, so that the real mistake comes first.
func buildErrors(err error) []string {
	errs := []string{}
	var be *generator.BuildError
	if errors.As(err, &be) {
		shown, held := be.Diagnostics.Shown()
		for _, d := range shown {
			if d.Severity == diag.Error {
				errs = append(errs, d.String())
			}
		}
		if held > 0 {
			var b strings.Builder
			diag.Fprint(&b, "", be.Diagnostics)
			lines := strings.Split(strings.TrimSpace(b.String()), "\n")
			errs = append(errs, lines[len(lines)-1])
		}
	}
	if len(errs) == 0 {
		var d diag.Diagnostic
		if errors.As(err, &d) {
			errs = append(errs, d.String())
		} else {
			errs = append(errs, err.Error())
		}
	}
	return errs
}

// current returns the state and a channel closed when it changes.
func (s *Server) current() (state, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st, s.changed
}

// watchedDirs are the folders of src whose changes trigger a rebuild.
func watchedDirs() []string { return []string{"catalog", "content", "templates"} }

// watch watches src (for the folders appearing) and every folder under
// the watched ones.
func (s *Server) watch() (*fsnotify.Watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch: %v", err)
	}
	if err := w.Add(s.cfg.Src); err != nil {
		w.Close()
		return nil, fmt.Errorf("watch: %v", err)
	}
	for _, d := range watchedDirs() {
		s.addTree(w, filepath.Join(s.cfg.Src, d))
	}
	return w, nil
}

// addTree watches dir and its subfolders; a folder that does not exist
// is skipped (it is watched when it appears).
func (s *Server) addTree(w *fsnotify.Watcher, dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			if err := w.Add(p); err != nil {
				s.cfg.Logf("watch %s: %v", p, err)
			}
		}
		return nil
	})
}

// relevant reports whether a change at p should trigger a rebuild: a file
// under a watched folder, not an editor's backup or swap file.
func (s *Server) relevant(p string) bool {
	rel, err := filepath.Rel(s.cfg.Src, p)
	if err != nil {
		return false
	}
	rel = filepath.ToSlash(rel)
	top, _, _ := strings.Cut(rel, "/")
	watched := false
	for _, d := range watchedDirs() {
		watched = watched || top == d
	}
	base := path.Base(rel)
	return watched && !strings.HasPrefix(base, ".") && !strings.HasSuffix(base, "~") &&
		!strings.HasSuffix(base, ".swp") && !strings.HasSuffix(base, ".tmp")
}

// loop rebuilds after each burst of changes.
func (s *Server) loop(ctx context.Context, w *fsnotify.Watcher) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			s.cfg.Logf("watch: %v", err)
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod || !s.relevant(ev.Name) {
				continue
			}
			if ev.Op.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					s.addTree(w, ev.Name)
				}
			}
			timer.Reset(s.cfg.Debounce)
		case <-timer.C:
			s.Rebuild(ctx)
		}
	}
}

// Handler serves the built site and the /__dev/ endpoints. Event
// streams end when ctx is done.
func (s *Server) Handler(ctx context.Context) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /__dev/reload.js", s.handleReloadJS())
	mux.Handle("GET /__dev/events", s.handleEvents(ctx))
	mux.Handle("GET /__dev/errors", s.handleErrors())
	mux.Handle("GET /", s.handleSite())
	return noStore(mux)
}

// noStore keeps the browser from caching anything: every reload must
// show the latest build.
func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

//go:embed reload.js
var reloadJS string

func (s *Server) handleReloadJS() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, _ := s.current()
		id, _ := json.Marshal(st.Build)
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		// The build id the page was served with is passed in: the
		// script loads right after its page, so a build finishing in
		// between still triggers a reload.
		fmt.Fprintf(w, "%s(%s);\n", strings.TrimSpace(reloadJS), id)
	})
}

func (s *Server) handleEvents(ctx context.Context) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		flusher, ok := w.(http.Flusher)
		if !ok {
			http.Error(w, "streaming unsupported", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for {
			st, changed := s.current()
			b, _ := json.Marshal(st)
			if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
				return
			}
			flusher.Flush()
			select {
			case <-changed:
			case <-r.Context().Done():
				return
			case <-ctx.Done():
				return
			}
		}
	})
}

func (s *Server) handleErrors() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, _ := s.current()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		for _, e := range st.Errors {
			fmt.Fprintln(w, e)
		}
	})
}

// handleSite serves the site in memory, with its 404 page for what is
// missing, or the errors of the last build when they may explain it.
func (s *Server) handleSite() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, _ := s.current()
		cur := s.site.Load()
		if cur == nil {
			if len(st.Errors) > 0 {
				s.errorPage(w, st, http.StatusInternalServerError)
			} else {
				http.Error(w, "building…", http.StatusServiceUnavailable)
			}
			return
		}
		// Clean resolves every "..", so no path leaves the site.
		clean := path.Clean("/" + r.URL.Path)
		name := strings.TrimPrefix(clean, "/")
		b, ok := cur.files[name]
		if !ok {
			index := path.Join(name, "index.html")
			if b, ok = cur.files[index]; ok {
				if !strings.HasSuffix(r.URL.Path, "/") {
					// As http.FileServer: relative links in the page
					// resolve against the folder.
					target := clean + "/"
					if r.URL.RawQuery != "" {
						target += "?" + r.URL.RawQuery
					}
					http.Redirect(w, r, target, http.StatusMovedPermanently)
					return
				}
				name = index
			}
		}
		if !ok {
			if len(st.Errors) > 0 {
				s.errorPage(w, st, http.StatusNotFound)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			nf, ok := cur.files["404.html"]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(http.StatusNotFound)
			w.Write(nf)
			return
		}
		w.Header().Set("Content-Type", contentType(name, b))
		// ServeContent answers HEAD and ranges; a zero time sends no
		// Last-Modified, and no-store keeps every reload fresh anyway.
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	})
}

// contentType returns the media type of a file of the site: the types
// the site uses are fixed here, so that they do not depend on the
// machine's mime.types.
func contentType(name string, b []byte) string {
	switch ext := path.Ext(name); ext {
	case ".html":
		return "text/html; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".json":
		return "application/json"
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".xml":
		return "text/xml; charset=utf-8"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	default:
		if t := mime.TypeByExtension(ext); t != "" {
			return t
		}
		return http.DetectContentType(b)
	}
}

const errorPage = `<!DOCTYPE html>
<html lang="zh-Hans">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>构建失败</title>
<main>
<h1>构建失败</h1>
<p>修改以下错误并保存后，页面会自动刷新。</p>
<pre>{{range .}}{{.}}
{{end}}</pre>
</main>
<script src="/__dev/reload.js"></script>
</html>
`

func (s *Server) errorPage(w http.ResponseWriter, st state, code int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	s.errorTmpl.Execute(w, st.Errors)
}
