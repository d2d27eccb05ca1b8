package tfmodel

// History is what Fit returns, Keras's History.history: one entry per
// epoch run.
type History struct {
	Epochs      []int // 0-based epoch numbers
	Loss        []float64
	Accuracy    []float64
	ValLoss     []float64 // empty without validation data
	ValAccuracy []float64
}

func (h *History) add(epoch int, logs EpochLogs) {
	h.Epochs = append(h.Epochs, epoch)
	h.Loss = append(h.Loss, logs.Loss)
	h.Accuracy = append(h.Accuracy, logs.Accuracy)
	if logs.HasValidation {
		h.ValLoss = append(h.ValLoss, logs.ValLoss)
		h.ValAccuracy = append(h.ValAccuracy, logs.ValAccuracy)
	}
}
