// Package demo runs aura-edge's main job end to end on embedded defaults,
// with stand-ins for everything outside the store PC, and narrates what
// happens. It runs the real daemon code paths; only the far ends (the cloud
// broker, the vendor's API, the printer) are local stand-ins.
package demo
