package store

import (
	"fmt"
	"strconv"
)

// SchemaVersion is the schema this binary writes. Each step in migrations
// upgrades a file from version i to i+1 in place, inside one transaction,
// so a crash mid-upgrade leaves the old version intact.
var SchemaVersion = len(migrations)

var schemaKey = []byte("schema_version")

// migrations[i] upgrades schema version i to i+1.
var migrations = []func(*Tx) error{
	// 0 -> 1: the initial buckets.
	func(tx *Tx) error {
		for _, name := range topBuckets {
			if err := tx.Bucket(name).err; err != nil {
				return err
			}
		}
		return nil
	},
	// 1 -> 2: captured records (orders/payments by Aura id) for reprints and
	// auto-print.
	func(tx *Tx) error {
		for _, sub := range []string{"orders", "payments"} {
			if err := tx.Bucket(Records, sub).err; err != nil {
				return err
			}
		}
		return nil
	},
	// 2 -> 3: the logs of captured revisions (records/<kind>.log, keyed by
	// sequence, found by id through the outbox's subject refs). The
	// records already stored by id stay where they are and are read there.
	func(tx *Tx) error {
		for _, sub := range []string{"orders", "payments"} {
			if err := tx.Bucket(Records, sub+RecordLogSuffix).err; err != nil {
				return err
			}
		}
		return nil
	},
}

// RecordLogSuffix names the log bucket of a kind of captured record
// (records/orders.log), beside records/orders of schema 2.
const RecordLogSuffix = ".log"

// Version returns the schema version recorded in the file.
func (db *DB) Version() (int, error) {
	var v int
	err := db.View(func(tx *Tx) error {
		var err error
		v, err = readVersion(tx)
		return err
	})
	return v, err
}

func readVersion(tx *Tx) (int, error) {
	raw := tx.Bucket(Meta).Get(schemaKey)
	if raw == nil {
		return 0, nil
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil {
		return 0, fmt.Errorf("schema version %q: %w", raw, err)
	}
	return v, nil
}

func (db *DB) migrate() error {
	// A store already at this schema needs no write transaction: a start
	// then costs no commit (two fsyncs, and the free-page list written
	// again, which grows with the file).
	current := false
	if err := db.View(func(tx *Tx) error {
		v, err := readVersion(tx)
		current = err == nil && v == SchemaVersion
		return nil
	}); err != nil {
		return err
	}
	if current {
		return nil
	}
	return db.Update(func(tx *Tx) error {
		v, err := readVersion(tx)
		if err != nil {
			return err
		}
		if v > SchemaVersion {
			return fmt.Errorf("%s has schema %d, this binary knows up to %d: %w", db.path, v, SchemaVersion, ErrNewerSchema)
		}
		for ; v < SchemaVersion; v++ {
			if err := migrations[v](tx); err != nil {
				return fmt.Errorf("migrate store from schema %d to %d: %w", v, v+1, err)
			}
			db.log.Info("store migrated", "from", v, "to", v+1)
		}
		return tx.Bucket(Meta).Put(schemaKey, []byte(strconv.Itoa(v)))
	})
}
