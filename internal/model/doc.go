// Package model defines the Aura schema that every part of aura-edge speaks:
// menus, orders, payments and refunds, with money as int64 minor units.
//
// Vendor adapters translate to and from these types; the outbox, the cloud
// link and the receipt printer only ever see them. Validate methods return
// every problem at once, each with the JSON path of the offending value.
package model
