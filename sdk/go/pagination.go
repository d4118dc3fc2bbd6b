package openvcluster

import (
	"context"
	"fmt"
	"iter"
)

// Page is one page of a listing: its items and the token of the next page
// (empty on the last page). Pass NextPageToken as the PageToken of the
// listing's params to resume there.
type Page[T any] struct {
	// Items are the page's vclusters, snapshots or operations, in listing
	// order.
	Items []T
	// NextPageToken is the token of the next page; empty on the last.
	NextPageToken string
}

type fetchFunc[T any] func(ctx context.Context, token string) (*Page[T], error)

// allPages yields the pages of a listing from token on, one call per page,
// fetched only as the loop asks for them. The first error ends it.
func allPages[T any](ctx context.Context, token string, fetch fetchFunc[T]) iter.Seq2[*Page[T], error] {
	return func(yield func(*Page[T], error) bool) {
		for {
			page, err := fetch(ctx, token)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(page, nil) || page.NextPageToken == "" {
				return
			}
			if page.NextPageToken == token {
				yield(nil, fmt.Errorf("openvcluster: the server answered the same page token %q twice", token))
				return
			}
			token = page.NextPageToken
		}
	}
}

// allItems yields the items of every page, fetching pages as needed.
func allItems[T any](pages iter.Seq2[*Page[T], error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for page, err := range pages {
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range page.Items {
				if !yield(item, nil) {
					return
				}
			}
		}
	}
}
