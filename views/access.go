package views

import "context"

// Access is what the signed-in viewer may do, carried in the request's context so that every
// page and partial can hide the forms of changes the viewer would be refused, without each
// page's props repeating it. The server refuses those changes anyway (requireAdmin); hiding
// them only spares the viewer a button that cannot work.
type Access struct {
	// Admin is true for an admin, and when the dashboard is open without sign-in.
	Admin bool
	// Role is the signed-in user's role ("admin", "viewer"), "" when unknown.
	Role string
}

type accessKey struct{}

// WithAccess returns ctx carrying the viewer's access.
func WithAccess(ctx context.Context, a Access) context.Context {
	return context.WithValue(ctx, accessKey{}, a)
}

// accessOf is the viewer's access. A context without one (a component rendered on its own,
// as the view tests do) shows every control, as before roles existed.
func accessOf(ctx context.Context) Access {
	if a, ok := ctx.Value(accessKey{}).(Access); ok {
		return a
	}
	return Access{Admin: true}
}

// canChange reports whether the viewer may change things (close alerts, edit settings).
func canChange(ctx context.Context) bool { return accessOf(ctx).Admin }
