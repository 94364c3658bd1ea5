"""TFLM's signal library (signal/micro/kernels): the audio front end's custom
operators, one module each, options read from their flexbuffer maps."""
