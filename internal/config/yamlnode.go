package config

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// PolicyProblem is one thing to fix in a policy file.
type PolicyProblem struct {
	Line int    // line in the file; 0 when unknown
	Path string // the setting, like usage.offers[1].price; empty when Msg names it
	Msg  string
}

// String is the problem without its line: "usage.threshold: ...".
func (p PolicyProblem) String() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// PolicyError is every problem of a policy file, one per line of Error: "lifecycle.yaml:3:
// usage.threshold: ...".
type PolicyError struct {
	Name     string
	Problems []PolicyProblem
}

func (e *PolicyError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Line > 0 {
			lines[i] = fmt.Sprintf("%s:%d: %s", e.Name, p.Line, p)
		} else {
			lines[i] = e.Name + ": " + p.String()
		}
	}
	return strings.Join(lines, "\n")
}

// nodeDecoder fills typed structs from a yaml.Node the way their yaml tags describe, and, unlike
// yaml.v3's decoder, keeps going after a problem and says each in the file's terms: the path of
// the setting and its line, never a Go type. A value that fails stays unset.
//
// It knows structs (keys from the yaml tags; others are a problem naming the known ones),
// pointers, slices, maps with string keys, strings, booleans and ints; any other type reads itself through
// yaml.Unmarshaler or, from one scalar, encoding.TextUnmarshaler.
type nodeDecoder struct {
	problems []PolicyProblem
	lines    map[string]int  // path -> line of every value present
	bad      map[string]bool // paths that had a problem
}

func newNodeDecoder() *nodeDecoder {
	return &nodeDecoder{lines: map[string]int{}, bad: map[string]bool{}}
}

func (d *nodeDecoder) addf(n *yaml.Node, path, format string, args ...any) {
	d.problems = append(d.problems, PolicyProblem{Line: n.Line, Path: path, Msg: fmt.Sprintf(format, args...)})
	d.bad[path] = true
}

// describe names what a node holds, for "expected ..., found ...".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "settings"
	case yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

var (
	yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decode fills v (settable) from n. A null or blank value leaves v as it was: not given.
func (d *nodeDecoder) decode(n *yaml.Node, v reflect.Value, path string) {
	// An alias is the anchored node; an anchored node is never an alias itself, so one step does.
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	d.lines[path] = n.Line
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!null" || strings.TrimSpace(n.Value) == "") {
		return
	}
	if v.Kind() == reflect.Pointer {
		elem := reflect.New(v.Type().Elem())
		bad := len(d.problems)
		d.decode(n, elem.Elem(), path)
		if len(d.problems) == bad || v.Type().Elem().Kind() == reflect.Struct {
			v.Set(elem)
		}
		return
	}
	if p := v.Addr(); p.Type().Implements(yamlUnmarshaler) {
		d.set(n, v, path, func(into reflect.Value) error { return into.Interface().(yaml.Unmarshaler).UnmarshalYAML(n) })
		return
	} else if p.Type().Implements(textUnmarshaler) {
		if n.Kind != yaml.ScalarNode {
			d.addf(n, path, "expected one value, found %s", describe(n))
			return
		}
		d.set(n, v, path, func(into reflect.Value) error {
			return into.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value))
		})
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structure(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.addf(n, path, "expected a list like [a, b], found %s", describe(n))
			return
		}
		list := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, list.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(list)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.addf(n, path, "expected settings like {en: ..., nl: ...}, found %s", describe(n))
			return
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			value := reflect.New(v.Type().Elem()).Elem()
			d.decode(n.Content[i+1], value, path+"."+key)
			m.SetMapIndex(reflect.ValueOf(key), value)
		}
		v.Set(m)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.addf(n, path, "expected text, found %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
			d.addf(n, path, "%s is not true or false", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.Decode(&i) != nil {
			d.addf(n, path, "%s is not a whole number", describe(n))
			return
		}
		v.SetInt(int64(i))
	default:
		panic(fmt.Sprintf("config: nodeDecoder does not read %s at %s", v.Type(), path)) // a programming error
	}
}

// set runs unmarshal on a fresh value and keeps it only when it succeeds.
func (d *nodeDecoder) set(n *yaml.Node, v reflect.Value, path string, unmarshal func(reflect.Value) error) {
	fresh := reflect.New(v.Type())
	if err := unmarshal(fresh); err != nil {
		d.addf(n, path, "%s", err.Error())
		return
	}
	v.Set(fresh.Elem())
}

// structure fills a struct from a mapping, each key to the field with its yaml tag.
func (d *nodeDecoder) structure(n *yaml.Node, v reflect.Value, path string) {
	fields := map[string]int{}
	var known []string
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = i
			known = append(known, name)
		}
	}
	where, hint := path, "known: "+strings.Join(known, ", ")
	if path == "" {
		where, hint = "policy", "known settings: "+strings.Join(known, ", ")
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "expected settings (%s), found %s", hint, describe(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		field, ok := fields[key.Value]
		if !ok {
			d.addf(key, "", "field %s not found in %s (%s)", key.Value, where, hint)
			continue
		}
		at := key.Value
		if path != "" {
			at = path + "." + key.Value
		}
		if first, dup := seen[key.Value]; dup {
			d.addf(key, at, "is set twice (first at line %d); keep one", first)
			continue
		}
		seen[key.Value] = key.Line
		d.decode(value, v.Field(field), at)
	}
}
