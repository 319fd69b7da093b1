// Package link models an impaired network link: what happens to each IP
// packet between two hosts (loss, delay and jitter, reordering,
// duplication, a rate limit with a finite queue, MTU), per direction, with
// every random choice drawn from one seeded source.
package link
