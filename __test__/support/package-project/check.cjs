'use strict'
const { identificator, createCableServer } = require('anycable-rs')
const { check } = require('./check-common.cjs')

check({ identificator, createCableServer }).then(report => console.log(JSON.stringify(report)))
