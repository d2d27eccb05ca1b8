package graph

import (
	"fmt"
	"math"
	"slices"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Dropout is keras.layers.Dropout(rate, seed): in training it zeroes each
// value with probability rate and scales the rest by 1/(1-rate); in
// inference it passes its input through.
//
// The draw is Keras 3's on the TensorFlow backend, op for op: a seed
// generator holds an int64 state [seed, 0]; each training step reads it,
// advances it by [0, 1], reduces it modulo 2³¹-2 to int32 and hands it to
// tf.nn.experimental.stateless_dropout (StatelessRandomGetKeyCounter,
// StatelessRandomUniformV2 with the auto-selected algorithm, keep where
// the draw ≥ rate). So the same seed drops the same values as Keras, step
// after step.
type Dropout struct {
	named
	Rate float64
	// Seed is the seed generator's seed. Keras draws one at random when
	// none is given; Go takes it from the builder's seed (HasSeed false),
	// so a model is reproducible, and records it in the config.
	Seed    int64
	HasSeed bool
}

// NewDropout is keras.layers.Dropout(rate), seeded from the model's seed.
func NewDropout(rate float64) *Dropout { return &Dropout{Rate: rate} }

// NewSeededDropout is keras.layers.Dropout(rate, seed=seed).
func NewSeededDropout(rate float64, seed int64) *Dropout {
	return &Dropout{Rate: rate, Seed: seed, HasSeed: true}
}

func (d *Dropout) ClassName() string { return "Dropout" }

func (d *Dropout) Config() map[string]any {
	var seed any
	if d.HasSeed {
		seed = d.Seed
	}
	return map[string]any{"rate": d.Rate, "seed": seed, "noise_shape": nil}
}

// OutputShape is in.
func (d *Dropout) OutputShape(in []int) ([]int, error) {
	if !(d.Rate >= 0 && d.Rate < 1) {
		return nil, fmt.Errorf("dropout %s: rate %v must be in [0, 1)", d.Name(), d.Rate)
	}
	if d.HasSeed && (d.Seed < 0 || d.Seed > math.MaxUint32) {
		return nil, fmt.Errorf("dropout %s: seed %d must be in [0, 2³²)", d.Name(), d.Seed)
	}
	return slices.Clone(in), nil
}

func (d *Dropout) Params([]int) int64 { return 0 }

// Build adds the seed generator's state, "<name>/seed_generator_state",
// unless the graph only predicts. A Dropout without a seed of its own
// takes the builder's next seed, reduced to a uint32 as Keras's seeds are.
func (d *Dropout) Build(b *Builder, in []int) (Built, error) {
	if _, err := d.OutputShape(in); err != nil {
		return nil, err
	}
	built := &dropoutBuilt{name: d.Name(), rate: d.Rate}
	if b.Inference || d.Rate == 0 {
		return built, nil
	}
	if !d.HasSeed {
		s := b.NextSeed()
		d.Seed, d.HasSeed = (s[0]*1_000_003+s[1])&math.MaxUint32, true
	}
	seed := d.Seed
	state, err := b.AddWeight(d.Name()+"/seed_generator_state", tf.Int64, []int64{2}, func(s *op.Scope) tf.Output {
		return op.Const(s, []int64{seed, 0})
	})
	if err != nil {
		return nil, err
	}
	built.state = state
	return built, nil
}

type dropoutBuilt struct {
	name  string
	rate  float64
	state *Variable // nil in inference graphs
}

func (d *dropoutBuilt) Call(s *op.Scope, x Value, training bool) Value {
	if !training || d.rate == 0 || d.state == nil {
		return Value{Out: x.Out}
	}
	s = sub(s, d.name)
	// SeedGenerator.next(): read the state, then advance it by [0, 1].
	read := op.ReadVariableOp(sub(s, "seed"), d.state.Handle, tf.Int64)
	advance := op.AssignAddVariableOp(sub(s.WithControlDependencies(read.Op), "advance"), d.state.Handle,
		op.Const(sub(s, "increment"), []int64{0, 1}))
	// _cast_seed: floormod by int32 max - 1, then int32.
	seed := op.Cast(sub(s, "cast_seed"), op.FloorMod(sub(s, "floormod"), read, op.Const(sub(s, "modulus"), int64(math.MaxInt32-1))), tf.Int32)
	key, counter := op.StatelessRandomGetKeyCounter(sub(s, "key_counter"), seed)
	const autoSelect = 3 // tf.random.Algorithm.AUTO_SELECT
	draw := op.StatelessRandomUniformV2(sub(s, "uniform"), op.Shape(sub(s, "noise_shape"), x.Out), key, counter,
		op.Const(sub(s, "alg"), int32(autoSelect)))
	// stateless_dropout: x * (1/keep_prob), kept where draw >= rate.
	scaled := op.Mul(sub(s, "scale"), x.Out, op.Const(sub(s, "scale_value"), float32(1/(1-d.rate))))
	keep := op.GreaterEqual(sub(s, "keep"), draw, op.Const(sub(s, "rate"), float32(d.rate)))
	out := selectV2(sub(s, "select"), keep, scaled, op.Const(sub(s, "zero"), float32(0)))
	return Value{Out: out, Updates: []*tf.Operation{advance}}
}

func (d *dropoutBuilt) Weights() []*Variable { return nil }

func (d *dropoutBuilt) State() []*Variable {
	if d.state == nil {
		return nil
	}
	return []*Variable{d.state}
}

func (*dropoutBuilt) NonTrainable() []*Variable { return nil }
