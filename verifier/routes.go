package verifier

import (
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// addRoutes is the service's whole surface.
func addRoutes(r chi.Router, s *server) {
	scan := s.rateLimit("scan", s.cfg.ScanLimit)
	lookup := s.rateLimit("lookup", s.cfg.LookupLimit)

	r.With(scan).Get("/c/{token}", handleVerify(s, false).ServeHTTP)
	r.With(scan).Get("/api/v1/verify/{token}", handleVerify(s, true).ServeHTTP)

	r.Get("/", handleLookupForm(s).ServeHTTP)
	r.Get("/lookup", handleLookupForm(s).ServeHTTP)
	r.With(lookup).Post("/lookup", handleLookup(s).ServeHTTP)

	r.Get("/healthz", handleHealthz().ServeHTTP)
	r.Get("/static/*", handleStatic(s).ServeHTTP)

	r.NotFound(handleNotFound(s))
	r.MethodNotAllowed(handleMethodNotAllowed(s))
}

// addAdminRoutes is the admin address's surface: readiness detail and
// metrics, never on the public port.
func addAdminRoutes(r chi.Router, store *Store, gather prometheus.Gatherer, now func() time.Time) {
	r.Get("/healthz", handleHealthz().ServeHTTP)
	r.Get("/readyz", handleReadyz(store, now).ServeHTTP)
	r.Get("/metrics", handleMetrics(gather).ServeHTTP)
}
