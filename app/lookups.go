package app

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"portico/models"
)

// Lookups are the small tables most pages name things from: pipeline stages (every ticket's
// status), active staff and teams (the desk's owners and filters). They change rarely and are
// read on every listing, so each instance keeps them for lookupsTTL; admin pages that change
// them call ForgetLookups, and other instances catch up within the TTL.
type Lookups struct {
	Stages    map[int64]models.PipelineStage
	Pipelines []models.Pipeline // with their stages
	Staff     []models.StaffUser
	Teams     []models.Team
	fetched   time.Time
}

// lookupsTTL bounds how stale another instance's lookups may be.
const lookupsTTL = 2 * time.Second

type lookupCache struct {
	current atomic.Pointer[Lookups]
	refresh sync.Mutex // one refetch at a time; readers keep the old snapshot meanwhile
}

// Lookups returns the cached lookups, refetching them (4 queries) when older than lookupsTTL.
// The result is shared: callers must not modify it.
func (a *App) Lookups(ctx context.Context) (*Lookups, error) {
	if l := a.lookups.current.Load(); l != nil && time.Since(l.fetched) < lookupsTTL {
		return l, nil
	}
	a.lookups.refresh.Lock()
	defer a.lookups.refresh.Unlock()
	if l := a.lookups.current.Load(); l != nil && time.Since(l.fetched) < lookupsTTL {
		return l, nil // another request refetched while this one waited
	}
	stages, err := a.Stores.Pipelines.Stages(ctx)
	if err != nil {
		return nil, err
	}
	pipes, err := a.Stores.Pipelines.All(ctx)
	if err != nil {
		return nil, err
	}
	staff, err := a.Stores.Staff.Active(ctx)
	if err != nil {
		return nil, err
	}
	teams, err := a.Stores.Staff.Teams(ctx)
	if err != nil {
		return nil, err
	}
	l := &Lookups{Stages: stages, Pipelines: pipes, Staff: staff, Teams: teams, fetched: time.Now()}
	a.lookups.current.Store(l)
	return l, nil
}

// ForgetLookups drops this instance's cached lookups: the next read refetches them.
func (a *App) ForgetLookups() { a.lookups.current.Store(nil) }
