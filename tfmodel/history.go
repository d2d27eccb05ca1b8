package tfmodel

// History is what Fit returns, Keras's History: the epochs run and, by
// Keras's names ("loss", "accuracy", "val_loss", ...), one value per epoch,
// as history.history holds them.
type History struct {
	Epochs  []int // 0-based epoch numbers
	History map[string][]float64
}

func (h *History) add(epoch int, logs Logs) {
	if h.History == nil {
		h.History = map[string][]float64{}
	}
	h.Epochs = append(h.Epochs, epoch)
	for k, v := range logs {
		h.History[k] = append(h.History[k], v)
	}
}
