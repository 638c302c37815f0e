// Package all imports every POS vendor adapter so that it registers itself.
package all
