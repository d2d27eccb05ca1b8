package serving

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRESTPredictFashion(t *testing.T) {
	dir := fashionModel(t, 1)
	_, hs := startServer(t, baseWith(t, map[int64]string{1: dir}), nil)
	const n = 3
	images := testImages(t, n)
	want := directPredict(t, dir, images, n)
	pixels := testPixels(t, n)
	pixelRows := make([]string, n)
	for i := range pixelRows {
		var rows []string
		for r := 0; r < 28; r++ {
			var cols []string
			for c := 0; c < 28; c++ {
				cols = append(cols, fmt.Sprint(pixels[i*784+r*28+c]))
			}
			rows = append(rows, "["+strings.Join(cols, ",")+"]")
		}
		pixelRows[i] = "[" + strings.Join(rows, ",") + "]"
	}
	named := make([]string, n)
	for i := range named {
		named[i] = `{"images": ` + imageJSON(images[i*784:(i+1)*784]) + `}`
	}

	for _, tc := range []struct {
		name, path, body, key string
	}{
		{"row", "/v1/models/fashion:predict", `{"instances": ` + imagesJSON(images, n) + `}`, "predictions"},
		{"row of named objects", "/v1/models/fashion:predict", `{"instances": [` + strings.Join(named, ",") + `]}`, "predictions"},
		{"columnar", "/v1/models/fashion:predict", `{"inputs": ` + imagesJSON(images, n) + `}`, "outputs"},
		{"columnar named", "/v1/models/fashion:predict", `{"inputs": {"images": ` + imagesJSON(images, n) + `}}`, "outputs"},
		{"version", "/v1/models/fashion/versions/1:predict", `{"instances": ` + imagesJSON(images, n) + `}`, "predictions"},
		{"default signature by name", "/v1/models/FASHION:predict", `{"signature_name": "serving_default", "instances": ` + imagesJSON(images, n) + `}`, "predictions"},
		{"uint8 pixels", "/v1/models/fashion:predict", `{"signature_name": "serving_uint8", "instances": [` + strings.Join(pixelRows, ",") + `]}`, "predictions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "default signature by name" {
				// Paths match case-insensitively, but names are names.
				code, body := doJSON(t, "POST", hs.URL+tc.path, tc.body)
				assert.Equal(t, http.StatusNotFound, code)
				assert.Equal(t, "Servable not found for request: Latest(FASHION)", body["error"])
				tc.path = strings.Replace(tc.path, "FASHION", "fashion", 1)
			}
			code, body := doJSON(t, "POST", hs.URL+tc.path, tc.body)
			require.Equal(t, http.StatusOK, code, "%v", body)
			assert.Equal(t, want, floatRows(t, body[tc.key]))
		})
	}
}

func TestRESTDTypes(t *testing.T) {
	_, hs := startServer(t, baseWith(t, map[int64]string{3: dtypesDir(t)}), nil)
	for _, tc := range []struct {
		name, body, want string
	}{
		{"row, several inputs and outputs",
			`{"instances": [{"x": [1.5, -2], "n": 41, "s": "héllo", "flag": true}, {"x": [0.1, 1e-7], "n": -9007199254740993, "s": {"b64": "AP8="}, "flag": false}]}`,
			`{"predictions": [{"n_plus": 42, "not_flag": false, "s_bytes": {"b64": "aMOpbGxv"}, "y": [3.0, -4.0]}, {"n_plus": -9007199254740992, "not_flag": true, "s_bytes": {"b64": "AP8="}, "y": [0.2, 2e-07]}]}`},
		{"columnar",
			`{"inputs": {"x": [[1, 2]], "n": [0], "s": ["a"], "flag": [false]}}`,
			`{"outputs": {"n_plus": [1], "not_flag": [true], "s_bytes": [{"b64": "YQ=="}], "y": [[2.0, 4.0]]}}`},
		{"scalar output in columnar format",
			`{"signature_name": "total", "inputs": [[1, 2], [3, 4.25]]}`,
			`{"outputs": 10.25}`},
		{"narrow ints and doubles",
			`{"signature_name": "small", "instances": [{"b": [1, 2, 127], "h": -32768, "d": 0.1}]}`,
			`{"predictions": [{"b2": [2, 4, 254], "d2": 0.010000000000000002, "h2": -32768}]}`},
		{"NaN and Infinity in, out",
			`{"signature_name": "small", "inputs": {"b": [[0, 0, 0]], "h": [1], "d": [NaN]}}`,
			`{"outputs": {"b2": [[0, 0, 0]], "d2": [NaN], "h2": [-1]}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(hs.URL+"/v1/models/fashion:predict", "application/json", strings.NewReader(tc.body))
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s", raw)
			assert.Equal(t, compactJSON(tc.want), compactJSON(string(raw)))
		})
	}
}

// compactJSON removes the white space between tokens (outside strings).
func compactJSON(s string) string {
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if in {
			b.WriteByte(c)
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if c == '"' {
				in = false
			}
			continue
		}
		switch c {
		case ' ', '\n', '\t', '\r':
			continue
		case '"':
			in = true
		}
		b.WriteByte(c)
	}
	return b.String()
}

func TestRESTErrors(t *testing.T) {
	s, hs := startServer(t, baseWith(t, map[int64]string{1: fashionModel(t, 1), 3: dtypesDir(t)}), func(o *Options) {
		o.BasePath = baseWith(t, map[int64]string{1: fashionModel(t, 1)})
		o.Limits = Limits{MaxRequestBytes: 200_000, MaxElements: 20_000, MaxJSONDepth: 8}
	})
	_ = s
	_, dt := startServer(t, baseWith(t, map[int64]string{3: dtypesDir(t)}), nil)
	img := imageJSON(testImages(t, 1))
	short := `[` + strings.Repeat(`[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],`, 27) + `[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]]`
	pred := "/v1/models/fashion:predict"
	for _, tc := range []struct {
		name         string
		server       string // "" for hs, "dt" for the dtypes model
		method, path string
		body         string
		code         int
		err          string // the whole message, or a prefix ending in "…"
	}{
		{"empty body", "", "POST", pred, ``, 400, "JSON Parse error: The document is empty"},
		{"malformed JSON", "", "POST", pred, `{"instances": [1,}`, 400, "JSON Parse error: Invalid value. at offset: 17"},
		{"unterminated", "", "POST", pred, `{"instances": [1`, 400, "JSON Parse error: Missing a comma or ']' after an array element. at offset: 16"},
		{"not an object", "", "POST", pred, `[1, 2]`, 400, "JSON Value: [1, 2] Is not object"},
		{"no inputs", "", "POST", pred, `{"signature_name": "serving_default"}`, 400, "Missing 'inputs' or 'instances' key"},
		{"both keys", "", "POST", pred, `{"inputs": [1], "instances": [1]}`, 400, "JSON Value: {…"},
		{"empty instances", "", "POST", pred, `{"instances": []}`, 400, "JSON Value: {\n    \"instances\": []\n} No values in 'instances' array"},
		{"instances not a list", "", "POST", pred, `{"instances": 3}`, 400, "JSON Value: {\n    \"instances\": 3\n} Expecting 'instances' to be an list/array"},
		{"signature_name not a string", "", "POST", pred, `{"signature_name": 1, "instances": [1]}`, 400, "JSON Value: {…not formatted correctly. 'signature_name' key must be a string value."},
		{"wrong dtype", "", "POST", pred, `{"instances": [` + strings.ReplaceAll(img, "0,", `"a",`) + `]}`, 400, "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: \"a\" Type: String is not of expected type: float"},
		{"wrong shape", "", "POST", pred, `{"instances": [[1, 2, 3]]}`, 400, "input images has shape [1,3], but the signature declares [-1,28,28]"},
		{"ragged rows", "", "POST", pred, `{"inputs": [` + img + `, ` + short + `]}`, 400, "Encountered list at unexpected size: 27 at level: 2 expected size: 28"},
		{"ragged instances", "", "POST", pred, `{"instances": [` + img + `, [[1]]]}`, 400, "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting tensor size: 784 but got: 1"},
		{"unknown input", "", "POST", pred, `{"instances": [{"pics": 1}]}`, 400, "Failed to process element: 0 key: pics of 'instances' list. Error: INVALID_ARGUMENT: JSON object: does not have named input: pics"},
		{"unknown signature", "", "POST", pred, `{"signature_name": "nope", "instances": [1]}`, 400, `Serving signature name: "nope" not found in signature def`},
		{"unknown model", "", "POST", "/v1/models/nope:predict", `{"instances": [1]}`, 404, "Servable not found for request: Latest(nope)"},
		{"unknown version", "", "POST", "/v1/models/fashion/versions/7:predict", `{"instances": [1]}`, 404, "Servable not found for request: Specific(fashion, 7)"},
		{"label", "", "POST", "/v1/models/fashion/labels/stable:predict", `{"instances": [1]}`, 400, "Unrecognized servable version label: stable"},
		{"malformed path", "", "POST", "/v1/models/fashion:explode", `{}`, 400, "Malformed request: POST /v1/models/fashion:explode"},
		{"wrong method", "", "DELETE", "/v1/models/fashion", ``, 400, "Malformed request: DELETE /v1/models/fashion"},
		{"classify", "", "POST", "/v1/models/fashion:classify", `{}`, 501, "classify is not supported by this server; use predict"},
		{"status of unknown model", "", "GET", "/v1/models/nope", ``, 404, "Could not find any versions of model nope"},
		{"status of unknown version", "", "GET", "/v1/models/fashion/versions/7", ``, 404, "Could not find version 7 of model fashion"},
		{"metadata of unknown version", "", "GET", "/v1/models/fashion/versions/7/metadata", ``, 404, "Servable not found for request: Specific(fashion, 7)"},
		{"status without a name", "", "GET", "/v1/models", ``, 400, "Missing model name in request."},
		{"body too large", "", "POST", pred, `{"instances": [` + strings.Repeat(" ", 200_001) + `]}`, 413, "Request body is larger than this server's limit of 200000 bytes"},
		{"too many values", "", "POST", pred, `{"instances": [` + strings.Repeat("0,", 20_000) + `0]}`, 400, "JSON Parse error: More than 20000 values. at offset: …"},
		{"too deep", "", "POST", pred, `{"instances": [[[[[[[[[[[1]]]]]]]]]]]}`, 400, "JSON Parse error: Nesting deeper than 8 levels. at offset: 22"},
		{"int out of range", "dt", "POST", pred, `{"signature_name": "small", "instances": [{"b": [1, 2, 256], "h": 1, "d": 1}]}`, 400, "Failed to process element: 0 key: b of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: 256 Type: Number is not of expected type: uint8"},
		{"float for an int", "dt", "POST", pred, `{"signature_name": "small", "inputs": {"b": [[1, 2, 3]], "h": [1.0], "d": [1]}}`, 400, "JSON Value: 1.0 Type: Number is not of expected type: int16"},
		{"bad base64", "dt", "POST", pred, `{"instances": [{"x": [1, 2], "n": 1, "s": {"b64": "!!"}, "flag": true}]}`, 400, "Failed to process element: 0 key: s of 'instances' list. Error: INVALID_ARGUMENT: Unable to base64 decode"},
		{"missing input", "dt", "POST", pred, `{"inputs": {"x": [[1, 2]], "n": [1], "s": ["a"]}}`, 400, "Missing named input: flag in 'inputs' object."},
		{"plain list for several inputs", "dt", "POST", pred, `{"instances": [1]}`, 400, "instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map"},
		{"keys differ", "dt", "POST", pred, `{"instances": [{"x": [1, 2], "n": 1, "s": "a"}]}`, 400, "Failed to process element: 0 of 'instances' list. JSON object: {…keys must be equal to: flag,n,s,x"},
		{"scalar output in row format", "dt", "POST", pred, `{"signature_name": "total", "instances": [[1, 2]]}`, 400, "Tensor name: sum has no shape information "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := hs.URL
			if tc.server == "dt" {
				url = dt.URL
			}
			req, err := http.NewRequest(tc.method, url+tc.path, strings.NewReader(tc.body))
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tc.code, resp.StatusCode, "%s", raw)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			var body struct {
				Error *string `json:"error"`
			}
			require.NoError(t, json.Unmarshal(raw, &body), "%s", raw)
			require.NotNil(t, body.Error, "%s", raw)
			assertMessage(t, tc.err, *body.Error)
		})
	}
	// The server is still serving.
	code, body := doJSON(t, "POST", hs.URL+pred, `{"instances": [`+img+`]}`)
	assert.Equal(t, 200, code, "%v", body)
}

// assertMessage compares a message with want, where "…" in want matches
// any text.
func assertMessage(t *testing.T, want, got string) {
	t.Helper()
	parts := strings.Split(want, "…")
	rest := got
	for i, p := range parts {
		idx := strings.Index(rest, p)
		if (i == 0 && idx != 0) || idx < 0 || (i == len(parts)-1 && p != "" && !strings.HasSuffix(rest, p)) {
			assert.Fail(t, "message mismatch", "want %q\n got %q", want, got)
			return
		}
		rest = rest[idx+len(p):]
	}
}

func TestRESTStatusAndMetadata(t *testing.T) {
	_, hs := startServer(t, baseWith(t, map[int64]string{1: fashionModel(t, 1)}), nil)
	code, body := doJSON(t, "GET", hs.URL+"/v1/models/fashion", "")
	require.Equal(t, 200, code)
	assert.Equal(t, map[string]any{"model_version_status": []any{map[string]any{
		"version": "1", "state": "AVAILABLE", "status": map[string]any{"error_code": "OK", "error_message": ""},
	}}}, body)
	code, body2 := doJSON(t, "GET", hs.URL+"/v1/models/fashion/versions/1", "")
	require.Equal(t, 200, code)
	assert.Equal(t, body, body2)

	code, md := doJSON(t, "GET", hs.URL+"/v1/models/fashion/metadata", "")
	require.Equal(t, 200, code, "%v", md)
	assert.Equal(t, map[string]any{"name": "fashion", "signature_name": "", "version": "1"}, md["model_spec"])
	sigs := md["metadata"].(map[string]any)["signature_def"].(map[string]any)["signature_def"].(map[string]any)
	assert.Contains(t, sigs, "serving_uint8")
	def := sigs["serving_default"].(map[string]any)
	assert.Equal(t, "tensorflow/serving/predict", def["method_name"])
	in := def["inputs"].(map[string]any)["images"].(map[string]any)
	assert.Equal(t, "DT_FLOAT", in["dtype"])
	assert.Equal(t, "images:0", in["name"])
	var dims []string
	for _, d := range in["tensor_shape"].(map[string]any)["dim"].([]any) {
		dims = append(dims, d.(map[string]any)["size"].(string))
	}
	assert.Equal(t, []string{"-1", "28", "28"}, dims)
	out := def["outputs"].(map[string]any)["probabilities"].(map[string]any)
	assert.Equal(t, "DT_FLOAT", out["dtype"])

	// Paths outside /v1/ are not the API's.
	resp, err := http.Get(hs.URL + "/v2/models/fashion")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 404, resp.StatusCode)
}
