// Package postest is the request recorder and fault injector the vendor
// stand-ins share.
//
// A stand-in (clovertest, customtest, lightspeedtest, toasttest, ...) embeds
// or holds a Recorder, which keeps every request it received, and a
// Faults queue of its own Fault type, which FailNext fills and the
// stand-in's ServeHTTP drains with TakeFault before serving a request.
// What a fault matches and what its answer looks like stay with the vendor.
package postest
