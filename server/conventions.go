package server

import (
	"reflect"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// conventional is a deep copy of v with every nil slice and map made empty
// and every time.Time put in Asia/Shanghai, so that encoding/json writes []
// and {} for nothing and instants with +08:00.
func conventional(v any) any {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return v
	}
	cp := reflect.New(rv.Type()).Elem()
	cp.Set(rv)
	normalise(cp, 0)
	return cp.Interface()
}

var (
	timeType = reflect.TypeFor[time.Time]()
	dateType = reflect.TypeFor[flexemp.Date]() // a calendar day: left as it is
)

// normalise rewrites v, settable, in place; what v points to or holds is
// copied first, so the caller's data is never changed.
func normalise(v reflect.Value, depth int) {
	if depth > 64 || !v.CanSet() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		cp := reflect.New(v.Elem().Type())
		cp.Elem().Set(v.Elem())
		normalise(cp.Elem(), depth+1)
		v.Set(cp)
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		cp := reflect.New(v.Elem().Type()).Elem()
		cp.Set(v.Elem())
		normalise(cp, depth+1)
		v.Set(cp)
	case reflect.Struct:
		if v.Type() == dateType {
			return
		}
		if v.Type() == timeType {
			if t := v.Interface().(time.Time); !t.IsZero() {
				v.Set(reflect.ValueOf(t.In(flexemp.Shanghai)))
			}
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				normalise(v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // bytes: written as base64, nothing inside
		}
		cp := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(cp, v)
		for i := range cp.Len() {
			normalise(cp.Index(i), depth+1)
		}
		v.Set(cp)
	case reflect.Array:
		for i := range v.Len() {
			normalise(v.Index(i), depth+1)
		}
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
			return
		}
		cp := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(it.Value())
			normalise(e, depth+1)
			cp.SetMapIndex(it.Key(), e)
		}
		v.Set(cp)
	}
}
