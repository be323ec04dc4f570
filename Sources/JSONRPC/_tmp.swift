import EstibaJSON
