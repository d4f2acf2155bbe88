// AudioWorklet processor: hands the microphone's samples to the page in blocks (its own file:
// the Content-Security-Policy allows worklets from 'self' only, never inline code).

class RecorderProcessor extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel && channel.length) this.port.postMessage(channel.slice(0));
    return true;
  }
}

registerProcessor("homerelay-recorder", RecorderProcessor);
