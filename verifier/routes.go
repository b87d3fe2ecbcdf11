package verifier

import "github.com/go-chi/chi/v5"

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
	r.Get("/readyz", handleReadyz(s).ServeHTTP)
	r.Get("/metrics", handleMetrics(s).ServeHTTP)
	r.Get("/static/*", handleStatic(s).ServeHTTP)

	r.NotFound(handleNotFound(s))
	r.MethodNotAllowed(handleMethodNotAllowed(s))
}
